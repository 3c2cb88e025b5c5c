using System.Net;
using System.Net.Sockets;
using Ezio.BitTorrent.Engine;
using Xunit;

namespace Ezio.BitTorrent.Tests.Engine;

/// <summary>The options every peer socket gets: no Nagle delay, and a bounded unsent queue.</summary>
public sealed class PeerSocketTests
{
    [Fact]
    public void Tune_ConnectedSocket_NoDelayAndUnsentBytesBounded()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Connect(listener.LocalEndPoint!);

        PeerSocket.Tune(socket);

        Assert.True(socket.NoDelay);
        Span<byte> value = stackalloc byte[sizeof(int)];
        // TCP_NOTSENT_LOWAT is 25 in linux/tcp.h.
        var length = socket.GetRawSocketOption((int)SocketOptionLevel.Tcp, 25, value);
        Assert.Equal(sizeof(int), length);
        Assert.Equal(128 * 1024, BitConverter.ToInt32(value));
    }
}
