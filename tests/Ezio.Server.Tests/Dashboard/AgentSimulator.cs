using System.Collections.Concurrent;
using System.Net.Http.Json;
using Ezio.Deployment.Contracts;

namespace Ezio.Server.Tests.Dashboard;

/// <summary>Plays agents over the real API: register, progress, done (many machines at once too).</summary>
internal sealed class AgentSimulator(TestServer server)
{
    private static readonly DeploymentJsonContext Json = DeploymentJsonContext.Default;
    private readonly ConcurrentDictionary<string, string> _ids = new();
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new();

    public async Task<Job> RegisterAsync(string mac, string ip, string hostname)
    {
        var request = new RegisterRequest(mac, ip, hostname,
            [new DiskInfo("/dev/sda", "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", 500L << 30, "DISK", "S-" + mac, false, true)], 8L << 30, "boot-" + mac, "test");
        using var response = await server.Http.PostAsJsonAsync(ApiRoutes.Register, request, Json.RegisterRequest);
        response.EnsureSuccessStatusCode();
        var answer = (await response.Content.ReadFromJsonAsync(Json.RegisterResponse))!;
        _ids[mac] = answer.MachineId;
        _clients[mac] = server.Client(answer.Secret);
        return answer.Job ?? throw new InvalidOperationException("no job for " + mac);
    }

    public async Task ProgressAsync(string mac, Job job, DeployPhase phase, long done, long rateIn, long rateOut, int peers, string? message = null)
    {
        using var response = await _clients[mac].PostAsJsonAsync(ApiRoutes.Progress,
            new ProgressReport(MachineId(mac), job.DeploymentId, phase, done, job.ImageSizeBytes, rateIn, rateOut, peers, message), Json.ProgressReport);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Reports done; by default the whole image fetched and written.</summary>
    public async Task DoneAsync(string mac, Job job, bool ok, string? reason = null, long? fetched = null, long? written = null)
    {
        using var response = await _clients[mac].PostAsJsonAsync(ApiRoutes.Done,
            new DoneReport(MachineId(mac), job.DeploymentId, ok, reason, 30, 2, 33.5, fetched ?? job.ImageSizeBytes, written ?? job.ImageSizeBytes),
            Json.DoneReport);
        response.EnsureSuccessStatusCode();
    }

    private string MachineId(string mac) => _ids[mac];
}
