using System.Net.Sockets;

namespace Ezio.BitTorrent.Engine;

/// <summary>Socket options every peer connection gets, dialled or accepted.</summary>
internal static class PeerSocket
{
    // TCP_NOTSENT_LOWAT (linux/tcp.h): the kernel takes no more from us while this much of
    // what we wrote is still unsent. A connection carries our uploads and our requests both;
    // without a bound, a request waits behind whatever blocks the socket buffer holds, and
    // the busiest uploader is the slowest downloader.
    private const int TcpNotSentLowat = 25;
    private const int NotSentBytes = 128 * 1024;

    public static void Tune(Socket socket)
    {
        socket.NoDelay = true;
        if (OperatingSystem.IsLinux())
        {
            try
            {
                Span<byte> value = stackalloc byte[sizeof(int)];
                BitConverter.TryWriteBytes(value, NotSentBytes);
                socket.SetRawSocketOption((int)SocketOptionLevel.Tcp, TcpNotSentLowat, value);
            }
            catch (SocketException)
            {
                // An older kernel: the default behaviour.
            }
        }
    }
}
