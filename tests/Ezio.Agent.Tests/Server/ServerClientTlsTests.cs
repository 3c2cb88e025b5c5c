using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Ezio.Agent.Server;
using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Ezio.Agent.Tests.Server;

/// <summary>
/// The agent's trust in its server over https: only the pinned certificate is accepted, and a
/// wrong one ends the handshake before a request leaves the agent. A hand-written TLS server
/// on loopback counts the requests it really received.
/// </summary>
public sealed class ServerClientTlsTests
{
    [Fact]
    public async Task GetTorrent_RightPin_Succeeds()
    {
        using var certificate = SelfSigned();
        await using var server = FakeTlsServer.Start(certificate);
        using var client = new ServerClient(server.BaseAddress, TimeSpan.FromSeconds(10), certificateSha256: CertificatePin.Fingerprint(certificate));

        byte[] body = await client.GetTorrentAsync(new Uri(server.BaseAddress, "/t.torrent").ToString(), CancellationToken.None);

        Assert.Equal("d4:infoe"u8.ToArray(), body);
        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task GetTorrent_PinWithColonsAndUpperCase_Succeeds()
    {
        using var certificate = SelfSigned();
        await using var server = FakeTlsServer.Start(certificate);
        string pin = string.Join(':', Convert.ToHexString(SHA256.HashData(certificate.RawData)).Chunk(2).Select(c => new string(c)));
        var options = new AgentOptions { Server = server.BaseAddress.ToString(), ServerCertSha256 = pin };
        Assert.Null(ServerClient.TrustProblem(options));
        using var client = ServerClient.Create(options, new ListLogger());

        await client.GetTorrentAsync(new Uri(server.BaseAddress, "/t.torrent").ToString(), CancellationToken.None);

        Assert.Equal(1, server.Requests);
    }

    [Fact]
    public async Task GetTorrent_WrongPin_FailsBeforeSendingAnything()
    {
        using var certificate = SelfSigned();
        using var other = SelfSigned();
        await using var server = FakeTlsServer.Start(certificate);
        using var client = new ServerClient(server.BaseAddress, TimeSpan.FromSeconds(10), certificateSha256: CertificatePin.Fingerprint(other));

        var e = await Assert.ThrowsAsync<ServerUnavailableException>(() =>
            client.GetTorrentAsync(new Uri(server.BaseAddress, "/t.torrent").ToString(), CancellationToken.None));

        await server.FirstConnectionHandled.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.Requests);
        Assert.Contains("not the pinned one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetTorrent_HttpsWithoutPin_SystemTrustRefusesTheSelfSignedServer()
    {
        using var certificate = SelfSigned();
        await using var server = FakeTlsServer.Start(certificate);
        using var client = new ServerClient(server.BaseAddress, TimeSpan.FromSeconds(10));

        await Assert.ThrowsAsync<ServerUnavailableException>(() =>
            client.GetTorrentAsync(new Uri(server.BaseAddress, "/t.torrent").ToString(), CancellationToken.None));

        await server.FirstConnectionHandled.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(0, server.Requests);
    }

    [Fact]
    public void TrustProblem_HttpsWithoutPin_RefusedUnlessInsecureTls()
    {
        Assert.Contains("not pinned", ServerClient.TrustProblem(new AgentOptions { Server = "https://10.0.0.1:8443" }), StringComparison.Ordinal);
        Assert.Null(ServerClient.TrustProblem(new AgentOptions { Server = "https://10.0.0.1:8443", InsecureTls = true }));
        Assert.Null(ServerClient.TrustProblem(new AgentOptions { Server = "https://10.0.0.1:8443", ServerCertSha256 = new string('a', 64) }));
        Assert.Contains("not a SHA-256", ServerClient.TrustProblem(new AgentOptions { Server = "https://10.0.0.1:8443", ServerCertSha256 = "abc" }), StringComparison.Ordinal);
        Assert.Null(ServerClient.TrustProblem(new AgentOptions { Server = "http://10.0.0.1:8080" }));
    }

    [Fact]
    public void Create_PlainHttpWithoutPin_WarnsThatReportsTravelInClear()
    {
        var logger = new ListLogger();
        using var client = ServerClient.Create(new AgentOptions { Server = "http://10.0.0.1:8080" }, logger);
        var warning = Assert.Single(logger.Entries);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(40, warning.EventId.Id);
        Assert.Contains("in clear", warning.Message, StringComparison.Ordinal);

        var pinned = new ListLogger();
        using var https = ServerClient.Create(new AgentOptions { Server = "https://10.0.0.1:8443", ServerCertSha256 = new string('a', 64) }, pinned);
        Assert.Empty(pinned.Entries);
    }

    [Fact]
    public void AnnounceUriFor_HttpsApiHttpTorrent_AnnouncesOverHttp()
    {
        using var client = new ServerClient(new Uri("https://10.0.0.1:8443"), certificateSha256: new string('a', 64));
        var job = Samples.Job() with { TorrentUrl = "http://10.0.0.1:8080/api/v1/images/lab/torrent" };
        Assert.Equal(new Uri("http://10.0.0.1:8080" + ApiRoutes.Announce), client.AnnounceUriFor(job));
    }

    [Fact]
    public void TrackersFor_JobNamesATracker_ThatOneElseTheServers()
    {
        using var client = new ServerClient(new Uri("http://10.0.0.1:8080"));
        var job = Samples.Job() with { TorrentUrl = "http://10.0.0.1:8080/api/v1/images/lab/torrent" };
        Assert.Equal([new Uri("http://10.0.0.1:8080" + ApiRoutes.Announce)], client.TrackersFor(job));
        var named = job with { Trackers = ["http://10.0.9.1:6969/announce", "not a url", "udp://10.0.9.2:6969"] };
        Assert.Equal([new Uri("http://10.0.9.1:6969/announce"), new Uri("udp://10.0.9.2:6969")], client.TrackersFor(named));
    }

    [Fact]
    public void Build_AgentJsonFromTheLiveImage_BindsThePin()
    {
        string dir = Directory.CreateTempSubdirectory("ezio-agent-pin-").FullName;
        try
        {
            string config = Path.Combine(dir, "agent.json");
            File.WriteAllText(config, "{\n  \"ServerCertSha256\": \"" + new string('b', 64) + "\"\n}\n");
            string cmdline = Path.Combine(dir, "cmdline");
            File.WriteAllText(cmdline, "ezio.server=https://10.0.0.1:8443");
            using var host = AgentCommand.Build(Ezio.Cli.CommandLine.Parse(["--config", config, "--cmdline-file", cmdline],
                ["--config", "--cmdline-file"], ["--insecure-tls"]));
            var options = (AgentOptions)host.Services.GetService(typeof(AgentOptions))!;
            Assert.Equal(new string('b', 64), options.ServerCertSha256);
            Assert.False(options.InsecureTls);
            Assert.Null(ServerClient.TrustProblem(options));

            using var insecureHost = AgentCommand.Build(Ezio.Cli.CommandLine.Parse(["--cmdline-file", cmdline, "--insecure-tls"],
                ["--config", "--cmdline-file"], ["--insecure-tls"]));
            var insecure = (AgentOptions)insecureHost.Services.GetService(typeof(AgentOptions))!;
            Assert.True(insecure.InsecureTls);
            Assert.Null(ServerClient.TrustProblem(insecure));
            Assert.NotNull(ServerClient.TrustProblem(new AgentOptions { Server = insecure.Server }));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=ezio-test", key, HashAlgorithmName.SHA256);
        var now = DateTimeOffset.UtcNow;
        using var ephemeral = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        // Through PKCS#12 so the server side of SslStream has a usable private key.
        return X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), null);
    }

    /// <summary>Records log entries (level, event id, text).</summary>
    private sealed class ListLogger : ILogger
    {
        public List<(LogLevel Level, EventId EventId, string Message)> Entries { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Add((logLevel, eventId, formatter(state, exception)));
    }

    /// <summary>
    /// A TLS server on loopback answering every request with a tiny body and counting the
    /// requests it read after a completed handshake.
    /// </summary>
    private sealed class FakeTlsServer : IAsyncDisposable
    {
        private readonly TcpListener _listener;
        private readonly X509Certificate2 _certificate;
        private readonly CancellationTokenSource _stop = new();
        private readonly TaskCompletionSource _firstHandled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _loop;
        private int _requests;

        private FakeTlsServer(X509Certificate2 certificate)
        {
            _certificate = certificate;
            _listener = new TcpListener(IPAddress.Loopback, 0);
            _listener.Start();
            BaseAddress = new Uri($"https://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/");
            _loop = AcceptLoopAsync();
        }

        public Uri BaseAddress { get; }

        public int Requests => Volatile.Read(ref _requests);

        /// <summary>Completes once the first connection's handshake and request (if any) are over.</summary>
        public Task FirstConnectionHandled => _firstHandled.Task;

        public static FakeTlsServer Start(X509Certificate2 certificate) => new(certificate);

        public async ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _listener.Stop();
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
            _stop.Dispose();
        }

        private async Task AcceptLoopAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                using var socket = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
                try
                {
                    await using var tls = new SslStream(socket.GetStream());
                    using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                    timeout.CancelAfter(TimeSpan.FromSeconds(10));
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, timeout.Token).ConfigureAwait(false);
                    if (await ReadHeadAsync(tls, timeout.Token).ConfigureAwait(false))
                    {
                        Interlocked.Increment(ref _requests);
                        await tls.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nd4:infoe"u8.ToArray(), timeout.Token).ConfigureAwait(false);
                    }
                }
                catch (Exception e) when (e is IOException or AuthenticationException or OperationCanceledException)
                {
                    // A client that refused our certificate: no request arrived.
                }
                _firstHandled.TrySetResult();
            }
        }

        private static async Task<bool> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
        {
            var head = new StringBuilder();
            var buffer = new byte[1024];
            while (head.Length < 16 * 1024)
            {
                int n = await stream.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
                if (n == 0)
                {
                    return false;
                }
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
                if (head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    return true;
                }
            }
            return false;
        }
    }
}
