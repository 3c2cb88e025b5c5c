using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Ezio.TestKit.Net;

/// <summary>How a <see cref="RangeHttpServer"/> answers.</summary>
public enum RangeServerMode
{
    /// <summary>206 with Content-Range for a range request, 200 otherwise.</summary>
    Ranges,

    /// <summary>200 with the whole file, whatever the Range header says.</summary>
    IgnoreRange,

    /// <summary>206 headers for the full range, then half the body and a closed connection.</summary>
    ShortBody,

    /// <summary>206 with the right length but every byte inverted.</summary>
    WrongBytes,

    /// <summary>Reads the request and never answers.</summary>
    Hang,

    /// <summary>503 Service Unavailable.</summary>
    Unavailable,
}

/// <summary>
/// A minimal HTTP/1.1 file server on loopback for web seed tests: GET of the files it was
/// given, with single byte-range support, one request per connection. The mode can change
/// while it runs; every request is recorded.
/// </summary>
public sealed class RangeHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly IReadOnlyDictionary<string, byte[]> _files;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentBag<TcpClient> _open = [];
    private readonly Task _accepting;
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];

    public RangeHttpServer(IReadOnlyDictionary<string, byte[]> files)
    {
        _files = files;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    public RangeServerMode Mode { get; set; } = RangeServerMode.Ranges;

    /// <summary>Every request as "path range" ("-" when it had no Range header), in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Completes once <paramref name="count"/> requests have arrived.</summary>
    public Task WhenRequestedAsync(int count)
    {
        lock (_waiters)
        {
            if (Requests.Count >= count)
            {
                return Task.CompletedTask;
            }
            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }

    public Uri UriOf(string path) => new($"http://127.0.0.1:{Port}{path}");

    /// <summary>Stops listening and drops open connections: the server is gone.</summary>
    public async Task StopAsync()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        await _stop.CancelAsync();
        _listener.Stop();
        foreach (var client in _open)
        {
            client.Dispose();
        }
        await _accepting.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _open.Add(client);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private void Record(string request)
    {
        lock (_waiters)
        {
            Requests.Enqueue(request);
            foreach (var waiter in _waiters.Where(w => Requests.Count >= w.Count).ToList())
            {
                waiter.Reached.TrySetResult();
                _waiters.Remove(waiter);
            }
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                if (head is null)
                {
                    return;
                }
                var lines = head.Split("\r\n");
                var path = Uri.UnescapeDataString(lines[0].Split(' ')[1]);
                var range = lines.Skip(1).FirstOrDefault(l => l.StartsWith("Range:", StringComparison.OrdinalIgnoreCase))?[6..].Trim();
                Record($"{path} {range ?? "-"}");
                var mode = Mode;
                if (mode == RangeServerMode.Hang)
                {
                    await Task.Delay(Timeout.Infinite, _stop.Token);
                }
                if (mode == RangeServerMode.Unavailable)
                {
                    await WriteAsync(stream, "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", default);
                    return;
                }
                if (!_files.TryGetValue(path, out var file))
                {
                    await WriteAsync(stream, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", default);
                    return;
                }
                if (range is null || mode == RangeServerMode.IgnoreRange)
                {
                    await WriteAsync(stream, $"HTTP/1.1 200 OK\r\nContent-Length: {file.Length}\r\nConnection: close\r\n\r\n", file);
                    return;
                }
                // "bytes=first-last", the only form a web seed client sends.
                var bounds = range["bytes=".Length..].Split('-');
                var first = long.Parse(bounds[0], CultureInfo.InvariantCulture);
                var last = Math.Min(long.Parse(bounds[1], CultureInfo.InvariantCulture), file.Length - 1);
                if (first > last)
                {
                    await WriteAsync(stream, $"HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{file.Length}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", default);
                    return;
                }
                var body = file.AsMemory((int)first, (int)(last - first + 1)).ToArray();
                var headers = $"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes {first}-{last}/{file.Length}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n";
                if (mode == RangeServerMode.WrongBytes)
                {
                    for (var i = 0; i < body.Length; i++)
                    {
                        body[i] = (byte)~body[i];
                    }
                }
                else if (mode == RangeServerMode.ShortBody)
                {
                    body = body[..(body.Length / 2)];
                }
                await WriteAsync(stream, headers, body);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
            }
        }
    }

    private static async Task WriteAsync(NetworkStream stream, string headers, ReadOnlyMemory<byte> body)
    {
        await stream.WriteAsync(Encoding.ASCII.GetBytes(headers));
        await stream.WriteAsync(body);
        await stream.FlushAsync();
    }

    private static async Task<string?> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>(512);
        var one = new byte[1];
        while (head.Count < 16 << 10)
        {
            if (await stream.ReadAsync(one) == 0)
            {
                return null;
            }
            head.Add(one[0]);
            if (head.Count >= 4 && head[^1] == '\n' && head[^2] == '\r' && head[^3] == '\n' && head[^4] == '\r')
            {
                return Encoding.ASCII.GetString(head.ToArray(), 0, head.Count - 4);
            }
        }
        return null;
    }
}
