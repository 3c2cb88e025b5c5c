using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;

namespace Ezio.BitTorrent.Engine;

/// <summary>
/// The transport under one peer connection: a duplex pipe carrying the peer wire, the far
/// end's address, and how to cut it. Sockets in production (<see cref="FromSocket"/>);
/// in-memory pipe pairs in tests, where cancelling the connection's loops is cut enough.
/// </summary>
internal sealed class PeerLink
{
    private readonly Action? _cut;

    public PeerLink(IDuplexPipe pipe, IPEndPoint remoteEndPoint, Action? cut = null)
    {
        Pipe = pipe;
        RemoteEndPoint = remoteEndPoint;
        _cut = cut;
    }

    public IDuplexPipe Pipe { get; }

    public IPEndPoint RemoteEndPoint { get; }

    /// <summary>Ends the transport, so pending reads and writes of both loops fail at once.</summary>
    public void Cut() => _cut?.Invoke();

    /// <summary>A link over a connected socket whose handshake has already been exchanged on <paramref name="stream"/>.</summary>
    public static PeerLink FromSocket(Socket socket, NetworkStream stream)
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 256 * 1024, minimumReadSize: 64 * 1024, leaveOpen: true));
        var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 64 * 1024, leaveOpen: true));
        return new PeerLink(new SocketPipe(reader, writer), (IPEndPoint)socket.RemoteEndPoint!, () =>
        {
            try
            {
                socket.Shutdown(SocketShutdown.Both);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
            }
            socket.Dispose();
        });
    }

    private sealed class SocketPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
