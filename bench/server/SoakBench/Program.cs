using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Security.Cryptography;
using Ezio.BitTorrent.Metainfo;
using Ezio.Deployment.Contracts;

namespace Ezio.Bench.Server;

/// <summary>
/// Soak of one ezio-server: N simulated agents register (the deployment is "all", so each
/// joins it and gets its job and secret), then report progress every few seconds, while a
/// flood of announces with made-up peer ids hits the deployment's swarm. Prints the latency
/// of the agents' calls (p50/p99/max), their failures, and the flood's count.
///   SoakBench image REPO NAME
///   SoakBench run URL TOKEN NAME [--agents 300] [--seconds 60] [--interval 2] [--flood 200]
/// </summary>
internal static class Program
{
    private static readonly DeploymentJsonContext Json = DeploymentJsonContext.Default;

    public static async Task<int> Main(string[] args)
    {
        switch (args)
        {
            case ["image", var repo, var name]:
                MakeImage(repo, name);
                return 0;
            case ["run", var url, var token, var name, .. var rest]:
                return await RunAsync(new Uri(url), token, name, Option(rest, "--agents", 300), Option(rest, "--seconds", 60),
                    Option(rest, "--interval", 2), Option(rest, "--flood", 200)).ConfigureAwait(false);
            default:
                await Console.Error.WriteLineAsync("usage: SoakBench image REPO NAME | run URL TOKEN NAME [--agents N] [--seconds S] [--interval S] [--flood ANNOUNCES/S]").ConfigureAwait(false);
                return 2;
        }
    }

    private static int Option(string[] args, string name, int fallback)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
    }

    /// <summary>repo/NAME/{data,NAME.torrent}: 4 MiB of random bytes (the agents never download it).</summary>
    private static void MakeImage(string repo, string name)
    {
        var directory = Path.Combine(repo, name);
        Directory.CreateDirectory(directory);
        var data = Path.Combine(directory, "data");
        File.WriteAllBytes(data, RandomNumberGenerator.GetBytes(4 << 20));
        File.WriteAllBytes(Path.Combine(directory, name + ".torrent"), TorrentBuilder.Create(data, new TorrentBuildOptions { PieceLength = 256 * 1024, Name = name }));
    }

    private static async Task<int> RunAsync(Uri server, string token, string image, int agents, int seconds, int interval, int flood)
    {
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(30),
        };
        using var create = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.Deployments)
        {
            Content = JsonContent.Create(new CreateDeploymentRequest(image, ["all"], AfterAction.Stay), Json.CreateDeploymentRequest),
        };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var created = await http.SendAsync(create).ConfigureAwait(false);
        var deployment = await created.EnsureSuccessStatusCode().Content.ReadFromJsonAsync(Json.DeploymentInfo).ConfigureAwait(false);
        Console.WriteLine($"deployment {deployment!.Id} of {image} to all; {agents} agents, progress every {interval} s for {seconds} s, {flood} non-member announces/s");

        var stats = new Stats();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var clock = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, agents)
            .Select(i => AgentAsync(server, i, agents, TimeSpan.FromSeconds(interval), stats, stop.Token))
            .Append(FloodAsync(http, deployment.InfoHash, flood, stats, stop.Token))
            .ToList();
        await Task.WhenAll(tasks).ConfigureAwait(false);
        var elapsed = clock.Elapsed.TotalSeconds;

        Console.WriteLine($"register: {stats.Registers.Summary()}");
        Console.WriteLine($"progress: {stats.Progress.Summary()}");
        Console.WriteLine($"member calls: {stats.Registers.Count + stats.Progress.Count} in {elapsed:0} s, failures {stats.Failures}{stats.FirstFailure}");
        Console.WriteLine($"flood: {stats.Announces} announces answered ({stats.Announces / elapsed:0}/s)");
        return stats.Failures == 0 ? 0 : 1;
    }

    /// <summary>
    /// One agent, from its own loopback address (127.0.x.y, as machines of a LAN each have
    /// theirs): register (spread over the first interval), then a progress report per tick.
    /// </summary>
    private static async Task AgentAsync(Uri server, int index, int agents, TimeSpan interval, Stats stats, CancellationToken cancellationToken)
    {
        var local = new IPEndPoint(new IPAddress([127, 0, (byte)(1 + index / 250), (byte)(1 + index % 250)]), 0);
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(local);
                    await socket.ConnectAsync(context.DnsEndPoint, token).ConfigureAwait(false);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        })
        {
            BaseAddress = server,
            Timeout = TimeSpan.FromSeconds(30),
        };
        try
        {
            await Task.Delay(interval * index / agents, cancellationToken).ConfigureAwait(false);
            var mac = $"02:5a:{index >> 16 & 0xff:x2}:{index >> 8 & 0xff:x2}:{index & 0xff:x2}:01";
            var request = new RegisterRequest(mac, null, $"soak-{index}", [new DiskInfo("/dev/sda", null, 1L << 40, "SOAK", "S" + index, false, false)], 8L << 30, "boot", "soak");
            var started = Stopwatch.GetTimestamp();
            using var response = await http.PostAsJsonAsync(ApiRoutes.Register, request, Json.RegisterRequest, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                stats.Fail($"register {mac}: {(int)response.StatusCode}");
                return;
            }
            var answer = await response.Content.ReadFromJsonAsync(Json.RegisterResponse, cancellationToken).ConfigureAwait(false);
            stats.Registers.Add(Stopwatch.GetElapsedTime(started));
            if (answer?.Job is not { } job || answer.Secret is not { } secret)
            {
                stats.Fail($"register {mac}: no job ({answer?.Wait?.Reason})");
                return;
            }
            using var timer = new PeriodicTimer(interval);
            long done = 0;
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                done = Math.Min(job.ImageSizeBytes, done + job.ImageSizeBytes / 40);
                using var progress = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.Progress)
                {
                    Content = JsonContent.Create(new ProgressReport(answer.MachineId, job.DeploymentId, DeployPhase.Downloading, done, job.ImageSizeBytes, 1 << 20, 1 << 19, 7, null), Json.ProgressReport),
                };
                progress.Headers.Add(ApiRoutes.MachineSecretHeader, secret);
                started = Stopwatch.GetTimestamp();
                using var reply = await http.SendAsync(progress, cancellationToken).ConfigureAwait(false);
                if (reply.IsSuccessStatusCode)
                {
                    stats.Progress.Add(Stopwatch.GetElapsedTime(started));
                }
                else
                {
                    stats.Fail($"progress {mac}: {(int)reply.StatusCode}");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The run is over (a call cut by the end of the run is not a failure).
        }
        catch (HttpRequestException e)
        {
            stats.Fail($"agent {index}: {e.Message}");
        }
    }

    /// <summary>Announces with fresh random peer ids, <paramref name="perSecond"/> a second, 16 at a time.</summary>
    private static async Task FloodAsync(HttpClient http, string infoHash, int perSecond, Stats stats, CancellationToken cancellationToken)
    {
        if (perSecond <= 0)
        {
            return;
        }
        var hash = string.Concat(Convert.FromHexString(infoHash).Select(b => "%" + b.ToString("x2", CultureInfo.InvariantCulture)));
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1.0 / Math.Min(perSecond, 1000)));
        var inFlight = new List<Task>();
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                if (inFlight.Count < 16)
                {
                    inFlight.Add(AnnounceAsync());
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        await Task.WhenAll(inFlight).ConfigureAwait(false);

        async Task AnnounceAsync()
        {
            var peer = "-XX0001-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(6));
            var port = RandomNumberGenerator.GetInt32(1024, 65535);
            try
            {
                using var reply = await http.GetAsync($"{ApiRoutes.Announce}?info_hash={hash}&peer_id={peer}&port={port}&uploaded=0&downloaded=0&left=1&compact=1&numwant=50", cancellationToken).ConfigureAwait(false);
                Interlocked.Increment(ref stats.Announces);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
            {
                // Not a member call: its fate is only counted.
            }
        }
    }

    private sealed class Stats
    {
        public readonly Latencies Registers = new();
        public readonly Latencies Progress = new();
        public long Announces;
        private int _failures;
        private string? _first;

        public int Failures => Volatile.Read(ref _failures);

        public string FirstFailure => _first is null ? "" : $" (first: {_first})";

        public void Fail(string what)
        {
            Interlocked.Increment(ref _failures);
            Interlocked.CompareExchange(ref _first, what, null);
        }
    }

    private sealed class Latencies
    {
        private readonly List<double> _ms = [];

        public int Count
        {
            get
            {
                lock (_ms)
                {
                    return _ms.Count;
                }
            }
        }

        public void Add(TimeSpan elapsed)
        {
            lock (_ms)
            {
                _ms.Add(elapsed.TotalMilliseconds);
            }
        }

        public string Summary()
        {
            lock (_ms)
            {
                if (_ms.Count == 0)
                {
                    return "no calls";
                }
                _ms.Sort();
                double At(double q) => _ms[Math.Min(_ms.Count - 1, (int)Math.Ceiling(q * _ms.Count) - 1)];
                return string.Create(CultureInfo.InvariantCulture, $"{_ms.Count} calls, p50 {At(0.5):0.0} ms, p99 {At(0.99):0.0} ms, max {_ms[^1]:0.0} ms");
            }
        }
    }
}
