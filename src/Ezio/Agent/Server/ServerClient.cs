using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Microsoft.Extensions.Logging;

namespace Ezio.Agent.Server;

/// <summary>Why a call to the server did not give an answer we can use.</summary>
internal sealed class ServerUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The server refused a request with a 4xx: retrying the same request will not help.</summary>
internal sealed class ServerRejectedException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}

/// <summary>
/// The server answered 410 Gone: an admin cancelled the job's deployment. The agent stops
/// writing, reports nothing as done and does not reboot into the half-written disk.
/// </summary>
internal sealed class DeploymentCancelledException(string message) : Exception(message);

/// <summary>
/// The agent's side of the deployment API (see <see cref="ApiRoutes"/>). Every call is
/// bounded by a timeout; network failures and 5xx become <see cref="ServerUnavailableException"/>
/// with a reason a person can read, 4xx become <see cref="ServerRejectedException"/> (410, a
/// cancelled deployment, <see cref="DeploymentCancelledException"/>).
/// </summary>
internal sealed class ServerClient : IDisposable
{
    private readonly HttpClient _http;

    /// <param name="certificateSha256">Over https: accept only the server certificate with this SHA-256 fingerprint.</param>
    /// <param name="insecureTls">Over https without a pin: accept any certificate (an explicit choice, see <see cref="TrustProblem"/>).</param>
    public ServerClient(Uri baseAddress, TimeSpan? timeout = null, string? certificateSha256 = null, bool insecureTls = false)
    {
        BaseAddress = baseAddress;
        // Without a pin and without insecureTls the system's CA store decides (it never trusts
        // ezio-server's self-signed certificate, so an unpinned https server is refused).
        HttpMessageHandler handler = certificateSha256 is not null || insecureTls
            ? CertificatePin.Handler(certificateSha256)
            : new SocketsHttpHandler();
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = timeout ?? TimeSpan.FromSeconds(15), MaxResponseContentBufferSize = 64 << 20 };
    }

    /// <summary>The client for the agent's settings; over plain http it warns that reports travel in clear.</summary>
    public static ServerClient Create(AgentOptions options, ILogger logger)
    {
        var uri = options.ServerUri();
        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            AgentLog.PlainHttpServer(logger, uri);
        }
        else if (options.InsecureTls && options.ServerCertSha256 is null)
        {
            AgentLog.InsecureTls(logger, uri);
        }
        return new ServerClient(uri, certificateSha256: CertificatePin.Normalize(options.ServerCertSha256), insecureTls: options.InsecureTls);
    }

    /// <summary>Why the agent must not talk to its server as configured, or null: https needs a pin (or InsecureTls), and a pin must be a SHA-256.</summary>
    public static string? TrustProblem(AgentOptions options)
    {
        if (options.ServerCertSha256 is { } pin && CertificatePin.Normalize(pin) is null)
        {
            return $"ServerCertSha256 '{pin}' is not a SHA-256 fingerprint (64 hex digits)";
        }
        if (options.Server?.StartsWith("https://", StringComparison.OrdinalIgnoreCase) == true && options.ServerCertSha256 is null && !options.InsecureTls)
        {
            return $"ezio.server={options.Server} is https but the server's certificate is not pinned (ServerCertSha256 in /etc/ezio/agent.json or --server-cert-sha256; InsecureTls to accept any)";
        }
        return null;
    }

    public Uri BaseAddress { get; }

    public Uri AnnounceUri => new(BaseAddress, ApiRoutes.Announce);

    /// <summary>
    /// The tracker of a job: on the server that serves its torrent. That is plain HTTP when the
    /// API is https (the tracker speaks to libtorrent and other clients that know no pin).
    /// </summary>
    public Uri AnnounceUriFor(Job job) =>
        Uri.TryCreate(job.TorrentUrl, UriKind.Absolute, out var torrent) && torrent.Scheme is "http" or "https"
            ? new Uri(torrent, ApiRoutes.Announce)
            : AnnounceUri;

    /// <summary>
    /// The trackers a job names (a tracker standing in for the server's, see
    /// <see cref="Job.Trackers"/>), else <see cref="AnnounceUriFor"/>.
    /// </summary>
    public IReadOnlyList<Uri> TrackersFor(Job job)
    {
        var named = (job.Trackers ?? []).Select(t => Uri.TryCreate(t, UriKind.Absolute, out var uri) ? uri : null).OfType<Uri>().ToList();
        return named.Count > 0 ? named : [AnnounceUriFor(job)];
    }

    /// <summary>
    /// The machine's secret from its registration (and job): sent with every call once known,
    /// since the server accepts reports only from the host that holds it.
    /// </summary>
    public string? Secret { get; set; }

    public Task<RegisterResponse> RegisterAsync(RegisterRequest request, CancellationToken cancellationToken) =>
        PostAsync(ApiRoutes.Register, request, DeploymentJsonContext.Default.RegisterRequest, DeploymentJsonContext.Default.RegisterResponse, cancellationToken);

    public Task<JobResponse> GetJobAsync(string machineId, CancellationToken cancellationToken) =>
        GetAsync(ApiRoutes.Job + "?machine=" + Uri.EscapeDataString(machineId), DeploymentJsonContext.Default.JobResponse, cancellationToken);

    public async Task PostProgressAsync(ProgressReport report, CancellationToken cancellationToken) =>
        await SendAsync(HttpMethod.Post, ApiRoutes.Progress, Json(report, DeploymentJsonContext.Default.ProgressReport), cancellationToken).ConfigureAwait(false);

    public Task<DoneResponse> PostDoneAsync(DoneReport report, CancellationToken cancellationToken) =>
        PostAsync(ApiRoutes.Done, report, DeploymentJsonContext.Default.DoneReport, DeploymentJsonContext.Default.DoneResponse, cancellationToken);

    public Task<SeedingStatus> GetSeedingAsync(string deploymentId, string machineId, CancellationToken cancellationToken) =>
        GetAsync(ApiRoutes.Seeding + "?deployment=" + Uri.EscapeDataString(deploymentId) + "&machine=" + Uri.EscapeDataString(machineId),
            DeploymentJsonContext.Default.SeedingStatus, cancellationToken);

    /// <summary>The job's .torrent (absolute URL from the job; at most 64 MiB).</summary>
    public async Task<byte[]> GetTorrentAsync(string url, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, url, null, cancellationToken).ConfigureAwait(false);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<TResponse> PostAsync<TRequest, TResponse>(string path, TRequest body, JsonTypeInfo<TRequest> requestInfo,
        JsonTypeInfo<TResponse> responseInfo, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Post, path, Json(body, requestInfo), cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, responseInfo, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T> GetAsync<T>(string path, JsonTypeInfo<T> info, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, path, null, cancellationToken).ConfigureAwait(false);
        return await ReadAsync(response, info, cancellationToken).ConfigureAwait(false);
    }

    private static JsonContent Json<T>(T value, JsonTypeInfo<T> info) => JsonContent.Create(value, info);

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, path) { Content = content };
        if (Secret is { } secret && IsServer(request.RequestUri))
        {
            request.Headers.Add(ApiRoutes.MachineSecretHeader, secret);
        }
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException e) when (e.InnerException is System.Security.Authentication.AuthenticationException)
        {
            throw new ServerUnavailableException($"cannot reach {BaseAddress}: its certificate is not the pinned one (ServerCertSha256); nothing was sent", e);
        }
        catch (HttpRequestException e)
        {
            throw new ServerUnavailableException($"cannot reach {BaseAddress}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ServerUnavailableException($"{BaseAddress} did not answer within {_http.Timeout.TotalSeconds:0} s", e);
        }
        if (response.IsSuccessStatusCode)
        {
            return response;
        }
        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var error = ErrorText(text);
            var status = (int)response.StatusCode;
            if (status == 410)
            {
                throw new DeploymentCancelledException(error);
            }
            if (status is >= 400 and < 500)
            {
                throw new ServerRejectedException(status, $"server refused {path}: {status} {error}");
            }
            throw new ServerUnavailableException($"server error on {path}: {status} {error}");
        }
    }

    /// <summary>The secret goes only to the server itself, never to another host a job's URL names.</summary>
    private bool IsServer(Uri? uri) =>
        uri is null || !uri.IsAbsoluteUri || Uri.Compare(uri, BaseAddress, UriComponents.SchemeAndServer, UriFormat.Unescaped, StringComparison.OrdinalIgnoreCase) == 0;

    private static async Task<T> ReadAsync<T>(HttpResponseMessage response, JsonTypeInfo<T> info, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadFromJsonAsync(info, cancellationToken).ConfigureAwait(false)
                ?? throw new ServerUnavailableException("server answered with an empty body");
        }
        catch (JsonException e)
        {
            throw new ServerUnavailableException($"server answered with malformed JSON: {e.Message}", e);
        }
    }

    private static string ErrorText(string body)
    {
        try
        {
            return JsonSerializer.Deserialize(body, DeploymentJsonContext.Default.ErrorResponse)?.Error ?? body;
        }
        catch (JsonException)
        {
            return body.Length > 200 ? body[..200] : body;
        }
    }

    public void Dispose() => _http.Dispose();
}
