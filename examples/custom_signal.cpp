// A signal of your own, and dispatch_uid (Django's Signal() and
// connect(..., dispatch_uid=...)).
//
// Shows: a typed signal whose receivers answer with a string; two
// declarative Receivers with the same dispatch_uid (as when a module that
// connects a receiver is imported twice) connecting one receiver; a plain
// function connected twice being connected once (it is identified by its
// address); send() returning every receiver's answer in connection order;
// sender filtering; disconnecting by dispatch_uid.
#include <exception>
#include <iostream>
#include <string>

#include "gatehouse/signals/receiver.h"
#include "gatehouse/signals/signal.h"

namespace {

using namespace gatehouse;

struct Shop {};  // the sender of order_placed
struct Order {
  std::string number;
  int items = 0;
};

// Defined at namespace scope: constant-initialised, so receivers may connect
// to it from any static initialiser.
signals::Signal<std::string(const Order&)> order_placed;

// The same receiver declared twice under one dispatch_uid: the second
// declaration connects nothing.
const signals::Receiver receipt{
    order_placed,
    [](const Order& o) { return "receipt emailed for order " + o.number; },
    {.sender = signals::Sender::of<Shop>(), .dispatch_uid = "shop.email_receipt"}};
const signals::Receiver receipt_again{
    order_placed,
    [](const Order& o) { return "receipt emailed AGAIN for order " + o.number; },
    {.sender = signals::Sender::of<Shop>(), .dispatch_uid = "shop.email_receipt"}};

// A receiver that looks at its sender too.
std::string reserve_stock(const signals::Sender& sender, const Order& o) {
  return std::string(sender.is<Shop>() ? "shop" : "someone") + " reserved " +
         std::to_string(o.items) + " item(s)";
}

void send_and_print(const signals::Sender& sender, const Order& order) {
  const auto responses = order_placed.send(sender, order);
  std::cout << "send " << order.number << ": " << responses.size() << " response(s)\n";
  for (const auto& r : responses) std::cout << "  " << r.value << "\n";
}

void run() {
  std::cout << "receivers after static initialisation: " << order_placed.receiver_count() << "\n";
  const bool shared = receipt.connections().front().connection() ==
                      receipt_again.connections().front().connection();
  std::cout << "the two declarations share one connection: " << (shared ? "yes" : "no") << "\n";

  const signals::Connection first =
      order_placed.connect(reserve_stock, {.sender = signals::Sender::of<Shop>()});
  const signals::Connection second =
      order_placed.connect(reserve_stock, {.sender = signals::Sender::of<Shop>()});
  std::cout << "reserve_stock connected twice, same connection: "
            << (first == second ? "yes" : "no") << "\n";
  std::cout << "receivers now: " << order_placed.receiver_count() << "\n";

  send_and_print(signals::Sender::of<Shop>(), {.number = "A-1", .items = 3});
  send_and_print(signals::Sender{},
                 {.number = "B-2", .items = 1});  // no receiver listens to every sender

  const bool removed =
      order_placed.disconnect_uid("shop.email_receipt", signals::Sender::of<Shop>());
  std::cout << "disconnect_uid(\"shop.email_receipt\"): " << (removed ? "true" : "false") << "\n";
  send_and_print(signals::Sender::of<Shop>(), {.number = "C-3", .items = 2});
  first.disconnect();
  std::cout << "receivers at the end: " << order_placed.receiver_count() << "\n";
}

}  // namespace

int main() {
  try {
    run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "custom_signal: " << e.what() << "\n";
    return 1;
  }
}
