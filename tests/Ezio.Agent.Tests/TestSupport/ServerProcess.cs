using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using Ezio.Deployment.Contracts;
using Ezio.TestKit.Net;
using Ezio.TestKit.Processes;

namespace Ezio.Agent.Tests.TestSupport;

/// <summary>
/// The real ezio-server (dotnet ezio-server.dll) over a temp repository, ready once its API
/// answers; stopped by PID on dispose.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private ServerProcess(ChildProcess process, string url, string root)
    {
        _process = process;
        Url = url;
        Root = root;
        Http = new HttpClient { BaseAddress = new Uri(url), Timeout = TimeSpan.FromSeconds(20) };
    }

    public string Url { get; }

    public string Root { get; }

    /// <summary>The API client: plain http, or with <c>https</c> the pinned https URL (the plain listener refuses the API then).</summary>
    public HttpClient Http { get; private set; }

    public string Log => _process.Output;

    public string BootDir => Path.Combine(Root, "boot");

    /// <summary>The URL agents use for the API: the https one when started with <c>https</c>, else <see cref="Url"/>.</summary>
    public string ApiUrl { get; private set; } = "";

    /// <summary>With <c>https</c>: the SHA-256 of the certificate the server made in its state directory.</summary>
    public string? CertificateSha256 { get; private set; }

    /// <param name="https">Also listen on an https:// URL and send agents there (boot files, torrents, announces stay http).</param>
    public static async Task<ServerProcess> StartAsync(string root, string ip, string? signingKey = null, bool https = false)
    {
        var address = IPAddress.Parse(ip);
        var url = $"http://{ip}:{FreePort.Next(address)}";
        var apiUrl = https ? $"https://{ip}:{FreePort.Next(address)}" : url;
        List<string> arguments = [Binaries.ServerDll, "--repo", Path.Combine(root, "repo"), "--listen", url, "--public-url", url,
            "--state", Path.Combine(root, "state"), "--boot-root", Path.Combine(root, "boot"),
            "--peer-port", FreePort.Next(address).ToString(CultureInfo.InvariantCulture),
            "--ocsmgrd-port", FreePort.Next(address).ToString(CultureInfo.InvariantCulture)];
        if (https)
        {
            arguments.AddRange(["--listen", apiUrl, "--public-api-url", apiUrl]);
        }
        if (signingKey is not null)
        {
            arguments.AddRange(["--signing-key", signingKey]);
        }
        Directory.CreateDirectory(Path.Combine(root, "boot"));
        var server = new ServerProcess(ChildProcess.Start("dotnet", arguments), url, root) { ApiUrl = apiUrl };
        var deadline = Stopwatch.StartNew();
        var tokenFile = Path.Combine(root, "state", "admin-token");
        while (true)
        {
            try
            {
                // The server makes its admin token on the first start; the admin's client reads it.
                if (server.Http.DefaultRequestHeaders.Authorization is null && File.Exists(tokenFile) && File.ReadAllText(tokenFile).Trim() is { Length: > 0 } token)
                {
                    server.Http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
                }
                using var r = await server.Http.GetAsync(ApiRoutes.Deployments);
                if (r.IsSuccessStatusCode)
                {
                    return server;
                }
                // With https on, the plain listener answers the API with 403; Kestrel may not have
                // bound the https URL yet, so the pinned client asks there until it answers too.
                if (https && server.CertificateSha256 is null && r.StatusCode == HttpStatusCode.Forbidden)
                {
                    var pem = File.ReadAllText(Path.Combine(root, "state", "https-cert.pem"));
                    using var certificate = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem);
                    server.CertificateSha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(certificate.RawData));
                    var authorization = server.Http.DefaultRequestHeaders.Authorization;
                    server.Http.Dispose();
                    server.Http = new HttpClient(Ezio.Deployment.Signing.CertificatePin.Handler(server.CertificateSha256))
                    {
                        BaseAddress = new Uri(apiUrl),
                        Timeout = TimeSpan.FromSeconds(20),
                    };
                    server.Http.DefaultRequestHeaders.Authorization = authorization;
                    continue;
                }
            }
            catch (HttpRequestException)
            {
            }
            catch (TaskCanceledException)
            {
                // A first request that outlived the client's timeout (a JIT server starting on a busy
                // machine) is "not ready yet", like a refused connection; the deadline below bounds it.
            }
            if (server._process.HasExited || deadline.Elapsed > TimeSpan.FromSeconds(60))
            {
                var log = server.Log;
                await server.DisposeAsync();
                throw new InvalidOperationException("ezio-server did not start:\n" + log);
            }
            await Task.Delay(200);
        }
    }

    public async Task<DeploymentInfo> DeployAsync(CreateDeploymentRequest request)
    {
        using var response = await Http.PostAsJsonAsync(ApiRoutes.Deployments, request, DeploymentJsonContext.Default.CreateDeploymentRequest);
        var text = await response.Content.ReadAsStringAsync();
        return response.IsSuccessStatusCode
            ? System.Text.Json.JsonSerializer.Deserialize(text, DeploymentJsonContext.Default.DeploymentInfo)!
            : throw new InvalidOperationException($"deploy: {(int)response.StatusCode} {text}");
    }

    /// <summary>Plays another machine of the deployment that registers and reports done (with its secret).</summary>
    public async Task ReportOtherDoneAsync(string mac, string deploymentId)
    {
        using var registered = await Http.PostAsJsonAsync(ApiRoutes.Register, new RegisterRequest(mac, null, null, [], 0, null, null), DeploymentJsonContext.Default.RegisterRequest);
        var answer = (await registered.Content.ReadFromJsonAsync(DeploymentJsonContext.Default.RegisterResponse))!;
        using var done = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.Done)
        {
            Content = JsonContent.Create(new DoneReport(answer.MachineId, deploymentId, true, null, 1, 0, 1, 0, 0), DeploymentJsonContext.Default.DoneReport),
        };
        done.Headers.Add(ApiRoutes.MachineSecretHeader, answer.Secret);
        using var response = await Http.SendAsync(done);
        response.EnsureSuccessStatusCode();
    }

    public async Task<MachineInfo?> MachineAsync(string mac)
    {
        var list = await Http.GetFromJsonAsync(ApiRoutes.Machines, DeploymentJsonContext.Default.IReadOnlyListMachineInfo);
        return list!.FirstOrDefault(m => m.Mac == mac);
    }

    /// <summary>Polls until <paramref name="condition"/> holds for the machine (bounded).</summary>
    public async Task<MachineInfo> WaitForMachineAsync(string mac, Func<MachineInfo, bool> condition, TimeSpan timeout, Func<string>? diagnostics = null)
    {
        var clock = Stopwatch.StartNew();
        MachineInfo? last = null;
        while (clock.Elapsed < timeout)
        {
            last = await MachineAsync(mac);
            if (last is not null && condition(last))
            {
                return last;
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"machine {mac} never reached the expected state; last: {last}\n{diagnostics?.Invoke()}");
    }

    public ValueTask DisposeAsync()
    {
        Http.Dispose();
        // SIGKILL: a test's server has nothing to save, and a graceful stop only costs time.
        _process.KillHard();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
