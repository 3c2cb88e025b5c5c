using System.Net;
using System.Net.Sockets;

namespace Ezio.Deploy.Tests.Infrastructure;

/// <summary>Loopback TCP ports that were free a moment ago; never handed out twice per run.</summary>
internal static class FreePort
{
    private static readonly HashSet<int> s_given = [];
    private static readonly Lock s_gate = new();

    public static int Next()
    {
        for (int attempt = 0; attempt < 100; attempt++)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (s_gate)
            {
                if (s_given.Add(port))
                {
                    return port;
                }
            }
        }

        throw new InvalidOperationException("No free loopback port.");
    }

    /// <summary>Polls until 127.0.0.1:<paramref name="port"/> accepts; fails early if the owner exits.</summary>
    public static async Task WaitForListenerAsync(int port, ChildProcess owner)
    {
        var deadline = DateTime.UtcNow + Tools.Timeout;
        while (true)
        {
            using (var client = new TcpClient(AddressFamily.InterNetwork))
            {
                try
                {
                    using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                    await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
                    return;
                }
                catch (Exception e) when (e is SocketException or OperationCanceledException)
                {
                    // Not listening yet.
                }
            }

            if (owner.HasExited)
            {
                throw new InvalidOperationException($"Exited before listening on {port}.\n{owner.Output}");
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Nothing listened on 127.0.0.1:{port}.\n{owner.Output}");
            }

            await Task.Delay(100);
        }
    }
}
