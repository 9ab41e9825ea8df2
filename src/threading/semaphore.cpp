// threading.Semaphore and BoundedSemaphore, as CPython's threading.py writes them.
#include "concurrence/threading/semaphore.hpp"

#include <chrono>
#include <mutex>
#include <sstream>

namespace concurrence::threading {

Semaphore::Semaphore(long value) : value_(value) {
    if (value < 0) throw ValueError("semaphore initial value must be >= 0");
}

bool Semaphore::acquire(bool blocking, std::optional<Delay> timeout) {
    if (!blocking && timeout) throw ValueError("can't specify timeout for non-blocking acquire");
    std::lock_guard guard(cond_);
    if (value_ == 0) {
        if (!blocking) return false;
        // The deadline holds across wake-ups that find the value taken by somebody else.
        if (!cond_.wait_for([&] { return value_ > 0; }, timeout)) return false;
    }
    --value_;
    return true;
}

template <class Check>
void Semaphore::release_checked(long n, Check check) {
    if (n < 1) throw ValueError("n must be one or more");
    std::lock_guard guard(cond_);
    check(value_, n);
    value_ += n;
    cond_.notify(static_cast<std::size_t>(n));
}

void Semaphore::release(long n) {
    release_checked(n, [](long, long) {});
}

long Semaphore::value() const {
    std::lock_guard guard(lock_);
    return value_;
}

std::string Semaphore::repr() const {
    std::ostringstream out;
    out << "<threading.Semaphore at " << static_cast<const void*>(this) << ": value=" << value() << '>';
    return out.str();
}

void BoundedSemaphore::release(long n) {
    release_checked(n, [this](long value, long added) {
        if (value + added > initial_value_) throw ValueError("Semaphore released too many times");
    });
}

std::string BoundedSemaphore::repr() const {
    std::ostringstream out;
    out << "<threading.BoundedSemaphore at " << static_cast<const void*>(this) << ": value=" << value() << '/'
        << initial_value_ << '>';
    return out.str();
}

}  // namespace concurrence::threading
