using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Ezio.Server.Cli;
using Ezio.Server.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Ezio.Server.Tests.Hosting;

/// <summary>
/// The API over https with the certificate the server makes in its state directory, next to a
/// plain http listener for boot files, torrents and announces.
/// </summary>
public sealed class HttpsTests
{
    private const string Mac = "52:54:00:aa:bb:07";
    private const string HttpAndHttps = "http://127.0.0.1:0;https://127.0.0.1:0";

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Start_HttpsListen_AnswersWithTheCertificateOfTheStateDirectory()
    {
        var dirs = new TestDirs();
        await using var server = await TestServer.StartAsync(dirs, o => o.Listen = HttpAndHttps);
        string certPath = Path.Combine(dirs.State, HttpsCertificate.CertificateFileName);
        string keyPath = Path.Combine(dirs.State, HttpsCertificate.KeyFileName);
        string pin = FileFingerprint(certPath);

        (string presented, HttpResponseMessage response) = await GetOverHttpsAsync(server, pin, ApiRoutes.Machines);

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(pin, presented);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(certPath));
        // The plain listener refuses the API (tokens, secrets, reports) and keeps the tracker.
        Assert.StartsWith("http://", server.BaseAddress.ToString(), StringComparison.Ordinal);
        using var plain = await server.Http.GetAsync(ApiRoutes.Machines);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, plain.StatusCode);
        Assert.Contains("https only", await plain.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var announce = await server.Http.GetAsync(ApiRoutes.Announce);
        Assert.NotEqual(System.Net.HttpStatusCode.Forbidden, announce.StatusCode);
    }

    [Fact]
    public async Task PlainListener_HttpsOn_RefusesReportsAndAdminButServesTorrents()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs, o => o.Listen = HttpAndHttps);

        using var register = await server.Http.PostAsJsonAsync(ApiRoutes.Register, new RegisterRequest(Mac, null, null, [], 0, null, null),
            DeploymentJsonContext.Default.RegisterRequest);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, register.StatusCode);
        using var deploy = await server.Http.PostAsJsonAsync(ApiRoutes.Deployments, new CreateDeploymentRequest("lab", [Mac]),
            DeploymentJsonContext.Default.CreateDeploymentRequest);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, deploy.StatusCode);
        Assert.Empty(server.Services.GetRequiredService<Ezio.Server.Deployments.DeploymentManager>().ListDeployments());

        var bytes = await server.Http.GetByteArrayAsync(ApiRoutes.TorrentPath("lab"));
        Assert.Equal(torrent.InfoHash, Ezio.BitTorrent.Metainfo.Torrent.Parse(bytes).InfoHash);
    }

    [Fact]
    public async Task Start_WrongPin_HandshakeRefusedByTheClient()
    {
        var dirs = new TestDirs();
        await using var server = await TestServer.StartAsync(dirs, o => o.Listen = HttpAndHttps);
        await Assert.ThrowsAsync<HttpRequestException>(() => GetOverHttpsAsync(server, new string('0', 64), ApiRoutes.Machines));
    }

    [Fact]
    public async Task Restart_SameStateDirectory_SameFingerprint()
    {
        var dirs = new TestDirs();
        string first;
        await using (var server = await TestServer.StartAsync(dirs, o => o.Listen = HttpAndHttps))
        {
            first = (await GetOverHttpsAsync(server, pin: null, ApiRoutes.Machines)).Presented;
        }
        string certText = await File.ReadAllTextAsync(Path.Combine(dirs.State, HttpsCertificate.CertificateFileName));
        await using (var again = await TestServer.StartAsync(dirs, o => o.Listen = HttpAndHttps))
        {
            Assert.Equal(first, (await GetOverHttpsAsync(again, pin: null, ApiRoutes.Machines)).Presented);
        }
        Assert.Equal(certText, await File.ReadAllTextAsync(Path.Combine(dirs.State, HttpsCertificate.CertificateFileName)));
    }

    [Fact]
    public async Task Deploy_ApiUrlIsHttps_MenuSendsAgentToHttpsAndTorrentStaysHttp()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs, o =>
        {
            o.Listen = HttpAndHttps;
            o.Menus.ApiUrl = "https://127.0.0.1:2";
        });
        string pin = FileFingerprint(Path.Combine(dirs.State, HttpsCertificate.CertificateFileName));
        using var http = new HttpClient(CertificatePin.Handler(pin)) { BaseAddress = HttpsAddress(server) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Options.AdminToken);
        using var created = await http.PostAsJsonAsync(ApiRoutes.Deployments, new CreateDeploymentRequest("lab", [Mac], AfterAction.Poweroff),
            DeploymentJsonContext.Default.CreateDeploymentRequest);
        created.EnsureSuccessStatusCode();
        var deployment = (await created.Content.ReadFromJsonAsync(DeploymentJsonContext.Default.DeploymentInfo))!;
        string menu = await File.ReadAllTextAsync(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-52-54-00-aa-bb-07"));
        Assert.Contains("ezio.server=https://127.0.0.1:2 ezio.job=" + deployment.Id, menu, StringComparison.Ordinal);

        using var response = await http.PostAsJsonAsync(ApiRoutes.Register, new RegisterRequest(Mac, "10.0.0.17", "pc7",
            [new DiskInfo("/dev/sda", null, 500L << 30, "DISK", "S7", false, true)], 4L << 30, "boot-7", "0.1"), DeploymentJsonContext.Default.RegisterRequest);
        response.EnsureSuccessStatusCode();
        var registered = await response.Content.ReadFromJsonAsync(DeploymentJsonContext.Default.RegisterResponse);
        Assert.StartsWith("http://127.0.0.1:1/", registered!.Job!.TorrentUrl, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusVerb_HttpsServer_PinsTheCertificateOfTheStateDirectory()
    {
        var dirs = new TestDirs();
        await using var server = await TestServer.StartAsync(dirs, o => o.Listen = HttpAndHttps);
        string url = HttpsAddress(server).ToString();

        Assert.Equal(0, await AdminCommands.StatusAsync(["--server", url, "--state", dirs.State]));
        await Assert.ThrowsAsync<HttpRequestException>(() => AdminCommands.StatusAsync(["--server", url, "--server-cert-sha256", new string('f', 64)]));
        var missing = await Assert.ThrowsAsync<UsageException>(() => AdminCommands.StatusAsync(["--server", url, "--state", Path.Combine(dirs.Root, "nowhere")]));
        Assert.Contains("no certificate to pin", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusVerb_ConfigFileOfTheServer_FindsTheHttpsUrlAndPinsItself()
    {
        var dirs = new TestDirs();
        await using var server = await TestServer.StartAsync(dirs, o => o.Listen = HttpAndHttps);
        var https = HttpsAddress(server);
        string config = Path.Combine(dirs.Root, "server.json");
        await File.WriteAllTextAsync(config,
            $"{{ \"listen\": \"http://0.0.0.0:1;https://0.0.0.0:{https.Port}\", \"stateDirectory\": \"{dirs.State}\" }}");

        Assert.Equal($"https://127.0.0.1:{https.Port}", LocalServer.Url(Options.Parse(["--config", config], LocalServer.OptionNames)));
        Assert.Equal(0, await AdminCommands.StatusAsync(["--config", config]));
    }

    [Fact]
    public void CertFingerprint_BeforeFirstStart_CreatesThePairTheServerThenUses()
    {
        var dirs = new TestDirs();
        Assert.Equal(0, CertCommand.Run(["--state", dirs.State]));
        string certPath = Path.Combine(dirs.State, HttpsCertificate.CertificateFileName);
        string created = FileFingerprint(certPath);
        using var loaded = HttpsCertificate.LoadOrCreate(dirs.State);
        Assert.Equal(created, HttpsCertificate.Fingerprint(loaded));
        Assert.True(loaded.HasPrivateKey);
    }

    [Fact]
    public void BuildOptions_HttpAndHttpsListen_ApiUrlIsTheHttpsOneOnThePublicHost()
    {
        var dirs = new TestDirs();
        var options = ServeCommand.BuildOptions(Options.Parse(
            ["--repo", dirs.Repo, "--listen", "http://0.0.0.0:8080", "--listen", "https://0.0.0.0:8443", "--public-url", "http://10.0.0.1:8080"],
            ["--repo", "--listen", "--public-url", "--public-api-url"]));
        Assert.Equal("http://0.0.0.0:8080;https://0.0.0.0:8443", options.Listen);
        Assert.Equal("http://10.0.0.1:8080", options.Menus.ServerUrl);
        Assert.Equal("https://10.0.0.1:8443", options.Menus.ApiUrl);
        Assert.Null(ServeCommand.GuessApiUrl("http://0.0.0.0:8080", "http://10.0.0.1:8080"));
        Assert.Equal("https://10.0.0.9:8443", ServeCommand.GuessApiUrl("http://10.0.0.9:8080;https://10.0.0.9:8443", "http://10.0.0.9:8080"));
        Assert.Equal("http://10.0.0.9:8080", ServeCommand.GuessPublicUrl("https://10.0.0.9:8443;http://10.0.0.9:8080"));
    }

    private static Uri HttpsAddress(TestServer server) =>
        new(server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Single(a => a.StartsWith("https://", StringComparison.Ordinal)));

    private static string FileFingerprint(string certPath)
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(certPath));
        return CertificatePin.Fingerprint(certificate);
    }

    /// <summary>GET over https: with a pin only that certificate is accepted, without one any; returns the certificate's fingerprint.</summary>
    private static async Task<(string Presented, HttpResponseMessage Response)> GetOverHttpsAsync(TestServer server, string? pin, string path)
    {
        string presented = "";
        var handler = CertificatePin.Handler(pin);
        var check = handler.SslOptions.RemoteCertificateValidationCallback!;
        handler.SslOptions.RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
        {
            presented = certificate is null ? "" : CertificatePin.Fingerprint(certificate);
            return check(sender, certificate, chain, errors);
        };
        using var http = new HttpClient(handler) { BaseAddress = HttpsAddress(server), Timeout = TimeSpan.FromSeconds(30) };
        // The admin API needs the token the server made on start.
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Options.AdminToken);
        var response = await http.GetAsync(path);
        return (presented, response);
    }
}
