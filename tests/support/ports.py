"""Free TCP ports on the loopback interface."""
import socket


def free_port() -> int:
    """A port that was free a moment ago (the OS picks it; a tiny reuse race remains)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def free_port_pair(offset: int) -> int:
    """A free port ``p`` whose ``p + offset`` is free too (a Redis Cluster node's bus port)."""
    for _ in range(200):
        port = free_port()
        if port + offset > 65535:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port + offset))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port pair {offset} apart")
