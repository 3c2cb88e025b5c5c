using System.Net;
using System.Net.Sockets;
using Ezio.TestKit.Processes;

namespace Ezio.TestKit.Net;

/// <summary>
/// Hands out ports (loopback unless told) that were free a moment ago, free for both TCP and UDP
/// (opentracker binds both). Ports are never handed out twice in one test run, so
/// parallel tests cannot collide with each other; another program can still race
/// us, which is why callers start the listener right away.
/// </summary>
public static class FreePort
{
    private static readonly HashSet<int> s_given = [];
    private static readonly Lock s_gate = new();

    public static int Next() => Next(IPAddress.Loopback);

    /// <summary>A port free on <paramref name="address"/> (a namespace pair's host side, say) for TCP and UDP.</summary>
    public static int Next(IPAddress address)
    {
        for (int attempt = 0; attempt < 200; attempt++)
        {
            int port = ProbeTcp(address);
            if (!IsUdpFree(address, port))
            {
                continue;
            }

            lock (s_gate)
            {
                if (s_given.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"No free port found on {address}.");
    }

    /// <summary>Polls (up to <see cref="Tools.Timeout"/>) until 127.0.0.1:<paramref name="port"/> accepts; fails early if the owner exits.</summary>
    public static Task WaitForListenerAsync(int port, ChildProcess owner) => WaitForListenerAsync(port, Tools.Timeout, owner);

    /// <summary>Polls until something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static Task WaitForListenerAsync(int port, TimeSpan timeout, ChildProcess? owner = null) =>
        WaitForListenerAsync(IPAddress.Loopback, port, timeout, owner);

    /// <summary>Polls until something accepts TCP connections on <paramref name="address"/>:<paramref name="port"/>.</summary>
    public static async Task WaitForListenerAsync(IPAddress address, int port, TimeSpan timeout, ChildProcess? owner = null)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            using (var client = new TcpClient(AddressFamily.InterNetwork))
            {
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    await client.ConnectAsync(address, port, cts.Token);
                    return;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    // Not listening yet.
                }
            }

            if (owner is not null && owner.HasExited)
            {
                throw new InvalidOperationException($"{owner} exited before listening on {address}:{port}.\n{owner.Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(
                    $"Nothing listened on {address}:{port} within {timeout.TotalSeconds:0} s.\n{owner?.Output}");
            }

            await Task.Delay(100);
        }
    }

    private static int ProbeTcp(IPAddress address)
    {
        var listener = new TcpListener(address, 0);
        listener.Start();
        try
        {
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static bool IsUdpFree(IPAddress address, int port)
    {
        try
        {
            using var udp = new UdpClient(new IPEndPoint(address, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
