// Sender: who a signal is sent by, and what a receiver may filter on.
//
// Django's sender is any Python object, usually a model class. Here it is a key:
//   Sender::of<User>()        a type (the sender of the model signals)
//   Sender::object(server)    one object, by address
//   Sender{}                  no particular sender
// A receiver connected with a sender runs only for sends by that sender; one
// connected with Sender{} (the default) runs for every send.
//
// A Sender is a pair of pointers: cheap to copy, compared by key. It does not
// keep an object alive.
#pragma once

#include <memory>
#include <type_traits>

namespace gatehouse::signals {

namespace detail {
template <class T>
inline constexpr char type_tag = 0;  // one address per type identifies it
}  // namespace detail

class Sender {
 public:
  constexpr Sender() noexcept = default;

  // The type T itself as sender (Django: sender=User).
  template <class T>
  static constexpr Sender of() noexcept {
    const void* tag = &detail::type_tag<std::remove_cv_t<T>>;
    return Sender(tag, tag);
  }

  // One object as sender; the object must outlive its use as a key.
  template <class T>
  static Sender object(const T& obj) noexcept {
    return Sender(std::addressof(obj), &detail::type_tag<std::remove_cv_t<T>>);
  }

  // Identity used for filtering; nullptr for Sender{}.
  constexpr const void* key() const noexcept { return key_; }
  constexpr bool is_anonymous() const noexcept { return key_ == nullptr; }

  // True if this is the type sender Sender::of<T>().
  template <class T>
  constexpr bool is() const noexcept {
    return key_ != nullptr && key_ == &detail::type_tag<std::remove_cv_t<T>>;
  }

  // The object, if this sender was made by Sender::object(const T&); else nullptr.
  template <class T>
  const T* object() const noexcept {
    if (type_ != &detail::type_tag<std::remove_cv_t<T>> || key_ == type_) return nullptr;
    return static_cast<const T*>(key_);
  }

  friend constexpr bool operator==(const Sender& a, const Sender& b) noexcept {
    return a.key_ == b.key_;
  }

 private:
  constexpr Sender(const void* key, const void* type) noexcept : key_(key), type_(type) {}
  const void* key_ = nullptr;
  const void* type_ = nullptr;
};

}  // namespace gatehouse::signals
