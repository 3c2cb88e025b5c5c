using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ezio.BitTorrent.Tests.Trackers;

/// <summary>
/// A one-shot HTTP/1.1 server on 127.0.0.1: accepts one connection, records the request line,
/// answers a canned response and closes. Enough to test a tracker client without ASP.NET.
/// </summary>
internal sealed class FakeHttpTracker : IAsyncDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new(Deadline);
    private readonly Task<string> _serve;

    public FakeHttpTracker(byte[] body, string status = "200 OK", bool sendContentLength = true)
    {
        _listener.Start();
        _serve = ServeAsync(body, status, sendContentLength);
    }

    public FakeHttpTracker(string body, string status = "200 OK")
        : this(Encoding.Latin1.GetBytes(body), status)
    {
    }

    public Uri Announce => new($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/announce");

    /// <summary>The request line the client sent, e.g. "GET /announce?info_hash=... HTTP/1.1".</summary>
    public Task<string> RequestLine => _serve.WaitAsync(Deadline);

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        _listener.Stop();
        try
        {
            await _serve;
        }
        catch (Exception)
        {
            // A test that never connected leaves the accept cancelled; nothing to report.
        }
        _stop.Dispose();
    }

    private async Task<string> ServeAsync(byte[] body, string status, bool sendContentLength)
    {
        using TcpClient client = await _listener.AcceptTcpClientAsync(_stop.Token);
        NetworkStream stream = client.GetStream();
        var head = new StringBuilder();
        var buffer = new byte[4096];
        while (!head.ToString().Contains("\r\n\r\n"))
        {
            int read = await stream.ReadAsync(buffer, _stop.Token);
            if (read == 0 || head.Length > 64 * 1024)
            {
                break;
            }
            head.Append(Encoding.Latin1.GetString(buffer, 0, read));
        }
        string lengthHeader = sendContentLength ? $"Content-Length: {body.Length}\r\n" : "";
        byte[] headers = Encoding.Latin1.GetBytes(
            $"HTTP/1.1 {status}\r\nContent-Type: text/plain\r\n{lengthHeader}Connection: close\r\n\r\n");
        await stream.WriteAsync(headers, _stop.Token);
        await stream.WriteAsync(body, _stop.Token);
        await stream.FlushAsync(_stop.Token);
        client.Client.Shutdown(SocketShutdown.Send);
        string text = head.ToString();
        return text[..text.IndexOf("\r\n", StringComparison.Ordinal)];
    }
}
