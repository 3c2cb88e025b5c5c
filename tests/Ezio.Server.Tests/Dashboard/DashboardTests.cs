using System.Net.Http.Json;
using Ezio.Deployment.Contracts;
using Ezio.Server.Dashboard;
using Xunit;

namespace Ezio.Server.Tests.Dashboard;

public sealed class DashboardTests
{
    [Fact]
    public async Task Root_ServesEmbeddedPage_NoExternalUrls()
    {
        await using var server = await TestServer.StartAsync();
        var html = await server.Http.GetStringAsync("/");
        var js = await server.Http.GetStringAsync("/dashboard.js");
        var css = await server.Http.GetStringAsync("/dashboard.css");
        var plots = await server.Http.GetStringAsync("/plots.js");
        var console = await server.Http.GetStringAsync("/console.js");

        Assert.Contains("/dashboard.js", html);
        Assert.Contains("/plots.js", html);
        Assert.Contains("/console.js", html);
        // The event stream is read with fetch (so the admin token can go in a header).
        Assert.Contains("fetch(\"/api/v1/events\"", js);
        Assert.Contains("getContext(\"2d\")", plots);
        Assert.Contains(".bar", css);
        Assert.DoesNotContain("http", html + js + css + plots + console, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Events_AgentReports_StreamedAsSse()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new("lab", ["52:54:00:00:00:01"]));
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var response = await server.Http.GetAsync(DashboardEndpoints.Events, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType!.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancel.Token));

        Assert.Equal("event: snapshot", await reader.ReadLineAsync(cancel.Token));
        Assert.Contains("\"image\":\"lab\"", await reader.ReadLineAsync(cancel.Token));

        var agents = new AgentSimulator(server);
        var job = await agents.RegisterAsync("52:54:00:00:00:01", "10.0.0.5", "pc1");
        await agents.ProgressAsync("52:54:00:00:00:01", job, DeployPhase.Downloading, 4096, 1000, 10, 3);
        string? line;
        var sawProgress = false;
        while (!sawProgress && (line = await reader.ReadLineAsync(cancel.Token)) is not null)
        {
            sawProgress = line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"bytesDone\":4096", StringComparison.Ordinal);
        }
        Assert.True(sawProgress);
    }

    [Fact]
    public async Task Snapshot_DeploymentFinished_StaysOnScreenWithItsMachines()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", ["52:54:00:00:00:01", "52:54:00:00:00:02"]));
        var agents = new AgentSimulator(server);
        var a = await agents.RegisterAsync("52:54:00:00:00:01", "10.0.0.5", "pc1");
        var b = await agents.RegisterAsync("52:54:00:00:00:02", "10.0.0.6", "pc2");
        await agents.DoneAsync("52:54:00:00:00:01", a, ok: true);
        await agents.DoneAsync("52:54:00:00:00:02", b, ok: false, "disk too small");

        DashboardSnapshot? snapshot = null;
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!cancel.IsCancellationRequested)
        {
            snapshot = await server.Http.GetFromJsonAsync(DashboardEndpoints.Snapshot, DashboardJsonContext.Default.DashboardSnapshot, cancel.Token);
            if (snapshot!.Deployments.Count == 1 && snapshot.Deployments[0].State == DeploymentState.Finished)
            {
                break;
            }
            await Task.Delay(100, cancel.Token);
        }
        var shown = Assert.Single(snapshot!.Deployments);
        Assert.Equal(deployment.Id, shown.Id);
        Assert.Equal(DeploymentState.Finished, shown.State);
        Assert.Equal(2, snapshot.Machines.Count);
    }

    [Fact]
    public async Task History_MachineDone_RecordedInSqlite()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using (var server = await TestServer.StartAsync(dirs))
        {
            var deployment = await server.DeployAsync(new("lab", ["52:54:00:00:00:01", "52:54:00:00:00:02"]));
            var agents = new AgentSimulator(server);
            var a = await agents.RegisterAsync("52:54:00:00:00:01", "10.0.0.5", "pc1");
            var b = await agents.RegisterAsync("52:54:00:00:00:02", "10.0.0.6", "pc2");
            await agents.DoneAsync("52:54:00:00:00:01", a, ok: true);
            await agents.DoneAsync("52:54:00:00:00:02", b, ok: false, "disk too small");

            var history = await WaitForHistoryAsync(server, h => h.Machines.Count == 2 && h.Deployments.Any(d => d.State == "finished"));
            Assert.True(history.Enabled);
            var failed = history.Machines.Single(m => m.Mac == "52:54:00:00:00:02");
            Assert.False(failed.Ok);
            Assert.Equal("disk too small", failed.Reason);
            Assert.Equal("pc2", failed.Hostname);
            Assert.Equal(33.5, failed.Seconds);
            Assert.Equal(deployment.Id, history.Deployments.Single().Id);
        }

        // A restarted server still has the history.
        await using var again = await TestServer.StartAsync(dirs);
        var kept = await again.Http.GetFromJsonAsync(DashboardEndpoints.History, DashboardJsonContext.Default.HistorySnapshot);
        Assert.Equal(2, kept!.Machines.Count);
    }

    [Fact]
    public async Task Metrics_AfterAnnouncesAndProgress_PrometheusText()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new("lab", ["52:54:00:00:00:01"]));
        var agents = new AgentSimulator(server);
        var job = await agents.RegisterAsync("52:54:00:00:00:01", "10.0.0.5", "pc1");
        await agents.ProgressAsync("52:54:00:00:00:01", job, DeployPhase.Downloading, 100, 1000, 10, 3);
        using var announce = await server.Http.GetAsync($"/announce?info_hash={Escape(torrent.InfoHash.ToArray())}&peer_id=-EZ0001-abcdefghijkl&port=6881&uploaded=0&downloaded=0&left=10&compact=1");
        announce.EnsureSuccessStatusCode();

        using var response = await server.Http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType!.MediaType, StringComparison.Ordinal);
        Assert.Contains("# TYPE ezio_deployments gauge", text);
        Assert.Contains("ezio_deployments{state=\"active\"} 1", text);
        Assert.Contains("ezio_machines{phase=\"downloading\"} 1", text);
        Assert.Contains("ezio_tracker_announces_total 1", text);
        Assert.Contains("ezio_tracker_peers{kind=\"leecher\"} 1", text);
        Assert.Contains("ezio_seeder_bytes_served_total 0", text);
    }

    private static string Escape(byte[] bytes) => string.Concat(bytes.Select(b => "%" + b.ToString("x2")));

    private static async Task<HistorySnapshot> WaitForHistoryAsync(TestServer server, Func<HistorySnapshot, bool> ready)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            var history = (await server.Http.GetFromJsonAsync(DashboardEndpoints.History, DashboardJsonContext.Default.HistorySnapshot))!;
            if (ready(history) || DateTime.UtcNow > deadline)
            {
                return history;
            }
            await Task.Delay(50);
        }
    }
}
