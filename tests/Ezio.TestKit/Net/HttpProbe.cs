using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ezio.TestKit.Net;

/// <summary>
/// Waits until a local HTTP server answers a request, any status. A socket that accepts is not
/// yet a server that answers (opentracker binds, then chroots and drops privileges before its
/// loop runs), so readiness is the first status line it sends back.
/// </summary>
public static class HttpProbe
{
    /// <param name="exitedWith">Returns the owner's output once it has exited, null while it runs.</param>
    public static async Task WaitForAnswerAsync(int port, TimeSpan timeout, Func<string?> exitedWith)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        string last = "no connection";
        while (true)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                using var client = new TcpClient(AddressFamily.InterNetwork);
                await client.ConnectAsync(IPAddress.Loopback, port, cts.Token);
                NetworkStream stream = client.GetStream();
                await stream.WriteAsync("GET /ezio-probe HTTP/1.0\r\n\r\n"u8.ToArray(), cts.Token);
                byte[] buffer = new byte[64];
                int read = await stream.ReadAtLeastAsync(buffer, 5, throwOnEndOfStream: false, cts.Token);
                string head = Encoding.ASCII.GetString(buffer, 0, read);
                if (head.StartsWith("HTTP/", StringComparison.Ordinal))
                {
                    return;
                }
                last = $"answer '{head}'";
            }
            catch (Exception e) when (e is SocketException or IOException or OperationCanceledException)
            {
                last = e.Message;
            }

            if (exitedWith() is { } output)
            {
                throw new InvalidOperationException($"The server on port {port} exited before answering.\n{output}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Nothing answered HTTP on 127.0.0.1:{port} within {timeout.TotalSeconds:0} s ({last}).");
            }
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// One HTTP/1.0 GET of <paramref name="pathAndQuery"/> on 127.0.0.1:<paramref name="port"/>:
    /// the whole response (status line, headers, body; Latin-1) up to the server's close.
    /// </summary>
    public static async Task<string> GetAsync(int port, string pathAndQuery, CancellationToken token)
    {
        using var client = new TcpClient(AddressFamily.InterNetwork);
        await client.ConnectAsync(IPAddress.Loopback, port, token);
        NetworkStream stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET {pathAndQuery} HTTP/1.0\r\n\r\n"), token);
        using var response = new MemoryStream();
        byte[] buffer = new byte[4096];
        int read;
        while (response.Length < 1 << 20 && (read = await stream.ReadAsync(buffer, token)) > 0)
        {
            response.Write(buffer, 0, read);
        }
        return Encoding.Latin1.GetString(response.ToArray());
    }
}
