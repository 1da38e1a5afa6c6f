// Router: method + path pattern to handler. Patterns are literal segments and
// "{name}" parameters ("/api/sessions/{id}"); a parameter matches one
// non-empty segment. An unknown path is a 404 and a known path with another
// method a 405 with Allow, both with JSON bodies.
#pragma once

#include <string>
#include <vector>

#include "gatehouse/http/handler.h"

namespace gatehouse::http {

class Router {
 public:
  Router& add(std::string method, std::string pattern, Handler handler);
  Router& get(std::string pattern, Handler h) { return add("GET", std::move(pattern), std::move(h)); }
  Router& post(std::string pattern, Handler h) { return add("POST", std::move(pattern), std::move(h)); }
  Router& del(std::string pattern, Handler h) { return add("DELETE", std::move(pattern), std::move(h)); }

  // Dispatches: fills request->params and request->route, or answers 404/405.
  void operator()(RequestPtr request, Responder respond) const;
  Handler handler() const;

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
  };
  std::vector<Route> routes_;
};

}  // namespace gatehouse::http
