// The HTML pages of DESIGN.md under /accounts/: login, logout, signup,
// password change (and its done page), and the profile page that login
// redirects to. Plain forms that work without JavaScript, rendered from the
// templates (built in, or a deployer's GATEHOUSE_TEMPLATES_DIR). Internal to
// the app layer.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "api.h"
#include "gatehouse/app/access.h"
#include "gatehouse/http/templates.h"

namespace gatehouse::app {

// The templates compiled into the binary (templates/ in the source tree).
std::map<std::string, std::string> builtin_templates();

void add_pages(http::Router& router, std::shared_ptr<ApiContext> ctx, std::shared_ptr<const http::Templates> templates,
               const Access& access);

// `next` when it is a path on this site; else the fallback (no open redirect).
std::string safe_next(const std::string& next, const std::string& fallback);

}  // namespace gatehouse::app
