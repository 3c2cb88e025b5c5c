using System.Net;
using System.Net.Sockets;
using System.Text;
using Ezio.Agent.Disks;
using Ezio.Agent.Hosting;
using Ezio.Agent.Modes;
using Ezio.Agent.Status;
using Ezio.BitTorrent.Metainfo;
using Ezio.Deployment.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Ezio.Agent.Tests.Hosting;

/// <summary>
/// An admin cancels the deployment while the agent downloads (half the image already on disk,
/// the rest still to fetch): the server answers the next progress report with 410 Gone. The
/// agent stops the engine and closes the disk, says so in its log, reports nothing as done and
/// never reaches the after-action (here a command that would leave a marker file).
/// </summary>
public sealed class CancelledJobTests : IDisposable
{
    private const int Piece = 64 * 1024;
    private const int Length = 16 * Piece;
    private readonly string _dir = Directory.CreateTempSubdirectory("ezio-agent-cancelled-").FullName;

    [Fact]
    public async Task Downloading_ProgressAnswers410_StopsCancelledWithoutDoneOrAfterAction()
    {
        var image = Path.Combine(_dir, "image.raw");
        var data = System.Security.Cryptography.RandomNumberGenerator.GetBytes(Length);
        await File.WriteAllBytesAsync(image, data);
        var torrent = Torrent.Parse(TorrentBuilder.Create(image, new TorrentBuildOptions { PieceLength = Piece }));
        var disk = Path.Combine(_dir, "disk.img");
        var before = new byte[Length];
        data.AsSpan(0, Length / 2).CopyTo(before);
        await File.WriteAllBytesAsync(disk, before);
        var marker = Path.Combine(_dir, "after-action-ran");
        using var server = new CancellingServer();
        var options = new AgentOptions
        {
            Server = server.Url.ToString(), Disk = disk, StateDir = Path.Combine(_dir, "state"), PeerPort = 0,
            ProgressSeconds = 0.2, AfterCommand = $"touch '{marker}'",
        };
        var logger = new ListLogger();
        await using var context = new AgentContext(options, new AgentStatus(), logger, TimeProvider.System,
            new DiskInventory(Path.Combine(_dir, "sys"), Path.Combine(_dir, "dev"), Path.Combine(_dir, "udev")))
        {
            MachineId = "m-020000000042",
            Mac = Samples.Mac,
            Job = Samples.Job(Length) with { TorrentUrl = server.Url + "api/v1/images/img/torrent" },
            Disk = Samples.Disk("vdx", Length) with { Path = disk },
            Torrent = torrent,
        };
        context.Server.Secret = "s3cret-value";
        var runner = new AgentRunner(context, new NoNotifier(), new NoLifetime());
        using var reporter = new ProgressReporter(context);
        await reporter.StartAsync(CancellationToken.None);

        var end = await runner.RunJobAsync(new DownloadingMode(), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        await reporter.StopAsync(CancellationToken.None);

        Assert.Equal(JobEnd.Cancelled, end);
        // The engine is gone and the disk closed: nothing can write to it any more.
        Assert.Null(context.Session);
        Assert.Null(context.Storage);
        Assert.Equal(before, await File.ReadAllBytesAsync(disk));
        Assert.False(File.Exists(marker));
        var requests = server.Requests;
        Assert.Contains(requests, r => r.StartsWith("POST " + ApiRoutes.Progress + " ", StringComparison.Ordinal)
            && r.Contains($"\r\n{ApiRoutes.MachineSecretHeader}: s3cret-value\r\n", StringComparison.OrdinalIgnoreCase));
        Assert.DoesNotContain(requests, r => r.StartsWith("POST " + ApiRoutes.Done, StringComparison.Ordinal));
        var line = Assert.Single(logger.Entries, e => e.EventId.Id == 43);
        Assert.Contains("deployment cancelled by the server", line.Message, StringComparison.Ordinal);
        Assert.Contains("d1 was cancelled", line.Message, StringComparison.Ordinal);
        Assert.Equal("deployment cancelled by the server", context.Status.Snapshot().PhaseText);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>
    /// The deployment server after the admin's cancel: every progress report gets 410 Gone
    /// with the reason, anything else 404. Keeps every request's head.
    /// </summary>
    private sealed class CancellingServer : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly List<string> _requests = [];
        private readonly Task _loop;

        public CancellingServer()
        {
            _listener.Start();
            Url = new Uri($"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _loop = ServeAsync();
        }

        public Uri Url { get; }

        public IReadOnlyList<string> Requests
        {
            get
            {
                lock (_requests)
                {
                    return [.. _requests];
                }
            }
        }

        private async Task ServeAsync()
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var connection = await _listener.AcceptTcpClientAsync(_stop.Token);
                    try
                    {
                        await AnswerAsync(connection.GetStream()).WaitAsync(TimeSpan.FromSeconds(10), _stop.Token);
                    }
                    catch (IOException)
                    {
                        // The agent hung up (a report cut short when the reporter stopped).
                    }
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        }

        private async Task AnswerAsync(NetworkStream stream)
        {
            var head = new StringBuilder();
            var buffer = new byte[8192];
            var received = 0;
            while (head.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end && (end < 0 || received < end + 4 + BodyLength(head.ToString())))
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0)
                {
                    break;
                }
                received += n;
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            var request = head.ToString();
            lock (_requests)
            {
                _requests.Add(request);
            }
            var (status, body) = request.StartsWith("POST " + ApiRoutes.Progress + " ", StringComparison.Ordinal)
                ? ("410 Gone", "{\"error\":\"deployment d1 was cancelled by an admin; stop writing and do not reboot into the disk\"}")
                : ("404 Not Found", "{\"error\":\"not here\"}");
            var bytes = Encoding.UTF8.GetBytes(body);
            await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {bytes.Length}\r\nConnection: close\r\n\r\n"));
            await stream.WriteAsync(bytes);
        }

        private static int BodyLength(string head)
        {
            foreach (var line in head.Split("\r\n"))
            {
                if (line.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))
                {
                    return int.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            return 0;
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            _loop.Wait(TimeSpan.FromSeconds(10));
            _stop.Dispose();
        }
    }

    /// <summary>Records log entries (level, event id, text).</summary>
    private sealed class ListLogger : ILogger
    {
        private readonly List<(LogLevel Level, EventId EventId, string Message)> _entries = [];

        public IReadOnlyList<(LogLevel Level, EventId EventId, string Message)> Entries
        {
            get
            {
                lock (_entries)
                {
                    return [.. _entries];
                }
            }
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (_entries)
            {
                _entries.Add((logLevel, eventId, formatter(state, exception)));
            }
        }
    }

    private sealed class NoNotifier : ISystemdNotifier
    {
        public bool IsEnabled => false;

        public void Notify(ServiceState state)
        {
        }
    }

    private sealed class NoLifetime : IHostApplicationLifetime
    {
        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => CancellationToken.None;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => throw new InvalidOperationException("a cancelled job must not stop the agent");
    }
}
