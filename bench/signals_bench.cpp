// Send cost: Gatehouse vs Boost.Signals2 vs an unsynchronised loop over
// std::vector<std::function> (the floor), measured in one run.
// Usage and figures: bench/README.md.
#include <benchmark/benchmark.h>

#include <boost/signals2/signal.hpp>
#include <functional>
#include <vector>

#include "gatehouse/signals/signal.h"

namespace gs = gatehouse::signals;

namespace {

// Ten distinct senders; sender-filtered cases connect receiver i for sender i.
template <int I>
struct Model {};
const void* const kSenderKeys[10] = {
    gs::Sender::of<Model<0>>().key(), gs::Sender::of<Model<1>>().key(),
    gs::Sender::of<Model<2>>().key(), gs::Sender::of<Model<3>>().key(),
    gs::Sender::of<Model<4>>().key(), gs::Sender::of<Model<5>>().key(),
    gs::Sender::of<Model<6>>().key(), gs::Sender::of<Model<7>>().key(),
    gs::Sender::of<Model<8>>().key(), gs::Sender::of<Model<9>>().key()};
const gs::Sender kSenders[10] = {
    gs::Sender::of<Model<0>>(), gs::Sender::of<Model<1>>(), gs::Sender::of<Model<2>>(),
    gs::Sender::of<Model<3>>(), gs::Sender::of<Model<4>>(), gs::Sender::of<Model<5>>(),
    gs::Sender::of<Model<6>>(), gs::Sender::of<Model<7>>(), gs::Sender::of<Model<8>>(),
    gs::Sender::of<Model<9>>()};

// The same receiver body everywhere: consume the argument, write nothing shared.
void receive(int v) { benchmark::DoNotOptimize(v); }

// ---- one signal per case, shared by the benchmark's threads -------------
struct Gatehouse {
  gs::Signal<void(int)> sig;
  std::vector<gs::Connection> conns;
  void connect(int n, bool filtered) {
    for (int i = 0; i < n; ++i)
      conns.push_back(sig.connect(receive, {.sender = filtered ? kSenders[i] : gs::Sender{},
                                            .dispatch_uid = {},
                                            .delivery = gs::Delivery::immediate}));
    // Give each receiver its own identity: plain functions de-duplicate.
    if (!filtered) {
      sig.disconnect_all();
      conns.clear();
      for (int i = 0; i < n; ++i) conns.push_back(sig.connect([](int v) { receive(v); }));
    }
  }
  void send(int v) { sig.send(kSenders[0], v); }
};

struct Signals2 {
  boost::signals2::signal<void(int)> sig;
  const void* current = nullptr;
  void connect(int n, bool filtered) {
    for (int i = 0; i < n; ++i) {
      if (filtered) {
        // Signals2 has no sender filter: each receiver tests the sender itself.
        const void* mine = kSenderKeys[i];
        sig.connect([this, mine](int v) {
          if (current == mine) receive(v);
        });
      } else {
        sig.connect(receive);
      }
    }
  }
  void send(int v) {
    current = kSenderKeys[0];
    sig(v);
  }
};

struct VectorLoop {
  std::vector<std::function<void(const void*, int)>> fns;
  void connect(int n, bool filtered) {
    for (int i = 0; i < n; ++i) {
      if (filtered) {
        const void* mine = kSenderKeys[i];
        fns.emplace_back([mine](const void* s, int v) {
          if (s == mine) receive(v);
        });
      } else {
        fns.emplace_back([](const void*, int v) { receive(v); });
      }
    }
  }
  void send(int v) {
    for (auto& f : fns) f(kSenderKeys[0], v);
  }
};

template <class Impl, int N, bool Filtered>
Impl& instance() {
  static Impl* impl = [] {
    auto* p = new Impl;
    p->connect(N, Filtered);
    return p;
  }();
  return *impl;
}

template <class Impl, int N, bool Filtered = false>
void BM_Send(benchmark::State& state) {
  Impl& impl = instance<Impl, N, Filtered>();
  int v = 0;
  for (auto _ : state) impl.send(++v);
  state.SetItemsProcessed(state.iterations());
}

// A signal that once had a receiver and has none now (core allocated, list empty).
void BM_Send_Gatehouse_Emptied(benchmark::State& state) {
  static gs::Signal<void(int)> sig;
  sig.connect(receive).disconnect();
  int v = 0;
  for (auto _ : state) sig.send(gs::Sender{}, ++v);
}

}  // namespace

#define SEND_CASES(Impl)                                                       \
  BENCHMARK(BM_Send<Impl, 0>)->Name("send/0/" #Impl);                          \
  BENCHMARK(BM_Send<Impl, 1>)->Name("send/1/" #Impl)->Threads(1)->Threads(2);  \
  BENCHMARK(BM_Send<Impl, 10>)->Name("send/10/" #Impl)->Threads(1)->Threads(2); \
  BENCHMARK(BM_Send<Impl, 10, true>)->Name("send/10-senders-1-match/" #Impl)

SEND_CASES(Gatehouse);
SEND_CASES(Signals2);
SEND_CASES(VectorLoop);
BENCHMARK(BM_Send_Gatehouse_Emptied)->Name("send/0-after-disconnect/Gatehouse");

BENCHMARK_MAIN();
