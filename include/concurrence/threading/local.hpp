// threading.local: one value per thread behind one name.
//
//     threading::local<Session> session;          // session = threading.local()
//     session->user = "ann";                      // session.user = "ann" (this thread's)
//     threading::local<std::vector<int>> v(3, 7); // each thread's value is vector<int>(3, 7)
//
// Each thread that uses the object gets its own T, made on its first use from copies of the
// constructor's arguments (Python calls a local subclass's __init__ again in each thread with
// the same arguments). A thread's value is destroyed when the thread ends, the others' when
// the local object is destroyed, whichever comes first, as Python's. Unlike C++'s
// `thread_local`, a local is an object: it may be a member, made and dropped at run time.
//
// The last local a thread used is cached in that thread, so a repeated access costs a
// comparison; other accesses take a shared lock.
//
// Thread safety: every method may be called from any thread; each thread sees only its own T.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <unordered_map>

namespace concurrence::threading {

namespace detail {

// The type-erased core of a local: the values of every thread that used it.
class LocalCore : public std::enable_shared_from_this<LocalCore> {
public:
    using Factory = std::function<std::shared_ptr<void>()>;

    explicit LocalCore(Factory make);
    LocalCore(const LocalCore&) = delete;
    LocalCore& operator=(const LocalCore&) = delete;
    ~LocalCore();

    // The calling thread's value, made on its first call.
    void* get();
    // A thread that used this local ends: its value goes.
    void forget(const void* thread_key) noexcept;

private:
    void* get_slow();

    const std::uint64_t id_;  // never reused, unlike addresses: what the per-thread cache keys on
    const Factory make_;
    std::shared_mutex mutex_;
    std::unordered_map<const void*, std::shared_ptr<void>> values_;  // by thread key
};

}  // namespace detail

template <class T>
class local {
public:
    local()
        requires std::default_initializable<T>
        : core_(std::make_shared<detail::LocalCore>([] { return std::make_shared<T>(); })) {}

    template <class... Args>
        requires(sizeof...(Args) > 0) && std::constructible_from<T, const Args&...>
    explicit local(const Args&... args)
        : core_(std::make_shared<detail::LocalCore>([... args = args] { return std::make_shared<T>(args...); })) {}

    local(const local&) = delete;
    local& operator=(const local&) = delete;

    // The calling thread's value.
    [[nodiscard]] T& get() { return *static_cast<T*>(core_->get()); }
    [[nodiscard]] T& operator*() { return get(); }
    [[nodiscard]] T* operator->() { return &get(); }

private:
    std::shared_ptr<detail::LocalCore> core_;  // shared: an ending thread may still be forgetting
};

}  // namespace concurrence::threading
