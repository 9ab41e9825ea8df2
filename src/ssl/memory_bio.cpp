// Python's ssl.MemoryBIO (_ssl.c's PySSLMemoryBIO): an OpenSSL memory BIO that reads as "retry
// later" while empty, and as the end once write_eof() was called.
#include <openssl/bio.h>

#include <climits>
#include <new>

#include "concurrence/base/errors.hpp"
#include "concurrence/ssl/errors.hpp"
#include "ssl/state.hpp"

namespace concurrence::ssl {

namespace detail {

BioState::BioState() : bio(BIO_new(BIO_s_mem())) {
    if (!bio) throw std::bad_alloc();
    // Empty is "no data yet", not the end: an SSL_read on it asks to be called again.
    BIO_set_retry_read(bio);
    BIO_set_mem_eof_return(bio, -1);
}

std::string_view peek_all(BioState& b) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(b.bio, &data);
    return size > 0 ? std::string_view(data, static_cast<std::size_t>(size)) : std::string_view();
}

void clear(BioState& b) {
    // A read-write memory BIO drops its data on reset (no BIO_FLAGS_NONCLEAR_RESET here); the
    // eof setting is kept.
    (void)BIO_reset(b.bio);
}

void append(BioState& b, std::string_view data) {
    while (!data.empty()) {
        const int chunk = data.size() > INT_MAX ? INT_MAX : static_cast<int>(data.size());
        const int n = BIO_write(b.bio, data.data(), chunk);
        if (n <= 0) std::rethrow_exception(error_from_queue());
        data.remove_prefix(static_cast<std::size_t>(n));
    }
}

}  // namespace detail

MemoryBIO::MemoryBIO() : state_(std::make_shared<detail::BioState>()) {}

std::size_t MemoryBIO::pending() const { return BIO_ctrl_pending(state_->bio); }

bool MemoryBIO::eof() const { return pending() == 0 && state_->eof_written; }

std::string MemoryBIO::read(std::optional<std::size_t> n) {
    std::size_t want = pending();
    if (n && *n < want) want = *n;
    std::string out(want, '\0');
    if (want == 0) return out;
    const int got = BIO_read(state_->bio, out.data(), static_cast<int>(want > INT_MAX ? INT_MAX : want));
    out.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
    return out;
}

std::size_t MemoryBIO::write(std::string_view data) {
    if (state_->eof_written) throw SSLError("cannot write() after write_eof()");
    detail::append(*state_, data);
    return data.size();
}

void MemoryBIO::write_eof() {
    state_->eof_written = true;
    // Reading past the data is now the end.
    BIO_clear_retry_flags(state_->bio);
    BIO_set_mem_eof_return(state_->bio, 0);
}

}  // namespace concurrence::ssl
