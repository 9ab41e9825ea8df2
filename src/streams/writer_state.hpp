// What a StreamWriter shares with its copies: the transport and its StreamReaderProtocol.
#pragma once

#include <memory>

#include "concurrence/net/transport.hpp"
#include "concurrence/streams/stream_reader_protocol.hpp"

namespace concurrence::asyncio::detail {

// The last handle closes a stream left open.
struct WriterState {
    WriterState(std::shared_ptr<Transport> transport_, std::shared_ptr<StreamReaderProtocol> protocol_)
        : transport(std::move(transport_)), protocol(std::move(protocol_)) {}
    WriterState(const WriterState&) = delete;
    WriterState& operator=(const WriterState&) = delete;
    ~WriterState();

    std::shared_ptr<Transport> transport;
    std::shared_ptr<StreamReaderProtocol> protocol;
};

}  // namespace concurrence::asyncio::detail
