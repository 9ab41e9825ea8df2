// The loop's low-level socket operations (Python's loop.sock_recv & co.), declared in
// EventLoop and defined in the net layer: include this header to use them.
//
//   net::Socket sock(AF_INET, SOCK_STREAM);
//   sock.setblocking(false);
//   co_await loop.sock_connect(sock, {"127.0.0.1", 8888});
//   co_await loop.sock_sendall(sock, "ping\n");
//   std::string reply = co_await loop.sock_recv(sock, 1024);   // "" at EOF, as Python's b''
//
// Bytes are std::string (Python's bytes). sock_sendall takes its data by value, so a task
// made of it owns what it sends.
#pragma once

#include <span>
#include <string>
#include <utility>
#include <vector>

#include "concurrence/loop/event_loop.hpp"
#include "concurrence/net/address.hpp"
#include "concurrence/net/resolve.hpp"
#include "concurrence/net/socket.hpp"
#include "concurrence/task/coro.hpp"
