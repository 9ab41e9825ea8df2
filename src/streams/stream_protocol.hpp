// Python's StreamReaderProtocol with its FlowControlMixin: feeds a StreamReader from a
// transport, keeps the writer's back-pressure (drain) and close waiters, and starts the
// server's client_connected_cb.
#pragma once

#include <exception>
#include <memory>
#include <optional>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/protocols.hpp"
#include "concurrence/net/transport.hpp"
#include "concurrence/streams/streams.hpp"
#include "concurrence/task/future.hpp"

namespace concurrence::asyncio::detail {

class StreamProtocol final : public Protocol, public std::enable_shared_from_this<StreamProtocol> {
public:
    StreamProtocol(EventLoop& loop, StreamReader reader, ClientConnected callback = {})
        : loop_(loop), reader_(std::move(reader)), callback_(std::move(callback)) {}
    ~StreamProtocol() override;

    void connection_made(Transport& transport) override;
    void connection_lost(std::exception_ptr exc) override;
    void data_received(std::string_view data) override { reader_.feed_data(data); }
    bool eof_received() override;
    void pause_writing() override { paused_ = true; }
    void resume_writing() override;

    const StreamReader& reader() const { return reader_; }
    // Python's _drain_helper: ConnectionResetError once the connection is lost; else waits
    // while writing is paused.
    Coro<void> drain_helper();
    // Python's _get_close_waiter: returns when connection_lost ran; rethrows its error.
    Coro<void> wait_closed();
    // Waiters kept for drain() and wait_closed() (for the tests: cancelled ones do not pile up).
    std::size_t waiter_count() const { return drain_waiters_.size() + close_waiters_.size(); }

private:
    EventLoop& loop_;
    StreamReader reader_;
    ClientConnected callback_;
    Transport* transport_ = nullptr;  // from connection_made (the reader's, until connection_lost)
    bool paused_ = false;
    bool connection_lost_ = false;
    std::exception_ptr lost_with_;
    std::vector<Future<void>> drain_waiters_;
    std::vector<Future<void>> close_waiters_;
};

// What a StreamWriter shares. The last handle closes a stream left open.
struct WriterState {
    WriterState(std::shared_ptr<Transport> transport_, std::shared_ptr<StreamProtocol> protocol_)
        : transport(std::move(transport_)), protocol(std::move(protocol_)) {}
    WriterState(const WriterState&) = delete;
    WriterState& operator=(const WriterState&) = delete;
    ~WriterState();

    std::shared_ptr<Transport> transport;
    std::shared_ptr<StreamProtocol> protocol;
};

}  // namespace concurrence::asyncio::detail
