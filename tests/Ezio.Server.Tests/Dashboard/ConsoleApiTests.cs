using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Ezio.Deployment.Contracts;
using Ezio.Server.Dashboard;
using Ezio.Server.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Ezio.Server.Tests.Dashboard;

/// <summary>The dashboard's admin actions over the real API: cancel, retry, replace, groups, wake, who did it.</summary>
public sealed class ConsoleApiTests
{
    private const string A = "52:54:00:00:01:0a";
    private const string B = "52:54:00:00:01:0b";
    private const string C = "52:54:00:00:01:0c";
    private static readonly DeploymentJsonContext Json = DeploymentJsonContext.Default;
    private static readonly ConsoleJsonContext ConsoleJson = ConsoleJsonContext.Default;

    [Fact]
    public async Task ForgedActions_WithoutOrWithWrongToken_RefusedAndChangeNothing()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", [A, B]));
        var agents = new AgentSimulator(server);
        var jobB = await agents.RegisterAsync(B, "10.0.0.11", "pc-b");
        await agents.DoneAsync(B, jobB, ok: false, "disk error");
        await PutGroupAsync(server.Http, "room 204", [A]);

        var id = deployment.Id;
        (HttpMethod Method, string Path, string? Body)[] calls =
        [
            (HttpMethod.Post, $"/api/v1/deployments/{id}/cancel", null),
            (HttpMethod.Post, $"/api/v1/deployments/{id}/machines/{B}/retry", null),
            (HttpMethod.Post, $"/api/v1/machines/{A}/replace", "{\"replacement\":\"" + C + "\"}"),
            (HttpMethod.Post, "/api/v1/wake", "{\"machines\":[\"" + A + "\"],\"broadcast\":\"127.0.0.1\",\"port\":9}"),
            (HttpMethod.Put, "/api/v1/groups/room%20204", "{\"name\":\"room 204\",\"machines\":[]}"),
            (HttpMethod.Put, "/api/v1/groups/evil", "{\"name\":\"evil\",\"machines\":[]}"),
            (HttpMethod.Delete, "/api/v1/groups/room%20204", null),
            (HttpMethod.Post, ApiRoutes.Deployments, "{\"image\":\"lab\",\"machines\":[\"" + C + "\"]}"),
            (HttpMethod.Get, "/api/v1/images", null),
            (HttpMethod.Get, "/api/v1/groups", null),
            (HttpMethod.Get, "/api/v1/machines/overview", null),
            (HttpMethod.Get, "/api/v1/actions", null),
        ];
        using var anonymous = server.Client(localAddress: "127.0.0.9");
        using var forged = server.Client(localAddress: "127.0.0.9");
        forged.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", "not-the-token");
        foreach (var client in new[] { anonymous, forged })
        {
            foreach (var (method, path, body) in calls)
            {
                using var request = new HttpRequestMessage(method, path);
                if (body is not null)
                {
                    request.Content = new StringContent(body, Encoding.UTF8, "application/json");
                }
                using var response = await client.SendAsync(request);
                Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{method} {path}: {response.StatusCode}");
            }
        }

        // Nothing changed: the deployment is as it was, the group too, no machine replaced, no action recorded.
        var after = (await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!;
        var d = Assert.Single(after);
        Assert.Equal(DeploymentState.Active, d.State);
        Assert.Equal([A, B], d.Machines);
        Assert.Equal(1, d.MachinesFailed);
        var groups = (await server.Http.GetFromJsonAsync("/api/v1/groups", ConsoleJson.IReadOnlyListMachineGroup))!;
        Assert.Equal([A], Assert.Single(groups).Machines);
        var actions = (await server.Http.GetFromJsonAsync("/api/v1/actions", ConsoleJson.IReadOnlyListAdminAction))!;
        Assert.DoesNotContain(actions, a => a.Address == "127.0.0.9");
        Assert.Equal(2, actions.Count); // the deploy and the group of this test's admin
    }

    [Fact]
    public async Task CancelRetryReplace_ChangeDeploymentsMenusAndHistory()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        server.Http.DefaultRequestHeaders.Add(AdminHistory.ActorHeader, "alice");
        var deployment = await server.DeployAsync(new("lab", [A, B], HostnameTemplate: "lab-{index}"));
        var agents = new AgentSimulator(server);
        var jobA = await agents.RegisterAsync(A, "10.0.0.10", "x");
        var jobB = await agents.RegisterAsync(B, "10.0.0.11", "x");
        await agents.DoneAsync(A, jobA, ok: true);
        await agents.DoneAsync(B, jobB, ok: false, "hash mismatch");
        Assert.Equal(DeploymentState.Finished, (await DeploymentAsync(server, deployment.Id)).State);

        // Retry: only a failed machine; the finished deployment opens again and B gets its job back.
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(server.Http, $"/api/v1/deployments/{deployment.Id}/machines/{A}/retry")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await PostAsync(server.Http, $"/api/v1/deployments/{deployment.Id}/machines/nonsense/retry")).StatusCode);
        using (var retry = await PostAsync(server.Http, $"/api/v1/deployments/{deployment.Id}/machines/{B}/retry"))
        {
            Assert.Equal(HttpStatusCode.OK, retry.StatusCode);
        }
        var reopened = await DeploymentAsync(server, deployment.Id);
        Assert.Equal(DeploymentState.Active, reopened.State);
        Assert.Equal(0, reopened.MachinesFailed);
        Assert.Contains("ezio.job=" + deployment.Id, await File.ReadAllTextAsync(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-52-54-00-00-01-0b")));
        var again = await agents.RegisterAsync(B, "10.0.0.11", "x");
        Assert.Equal(deployment.Id, again.DeploymentId);
        Assert.Equal("lab-2", again.PostSteps.Hostname);

        // Replace: C takes B's place (same index, so the same hostname); B is forgotten.
        using (var replace = await server.Http.PostAsJsonAsync($"/api/v1/machines/{B}/replace", new ReplaceRequest(C), ConsoleJson.ReplaceRequest))
        {
            Assert.Equal(HttpStatusCode.OK, replace.StatusCode);
        }
        Assert.Equal([A, C], (await DeploymentAsync(server, deployment.Id)).Machines);
        Assert.DoesNotContain(B, (await server.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo))!.Select(m => m.Mac));
        var jobC = await agents.RegisterAsync(C, "10.0.0.12", "x");
        Assert.Equal("lab-2", jobC.PostSteps.Hostname);
        Assert.DoesNotContain("ezio.job=", await File.ReadAllTextAsync(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-52-54-00-00-01-0b")));

        // Cancel: the pending machine boots locally again and gets no job; a second cancel is refused.
        using (var cancel = await PostAsync(server.Http, $"/api/v1/deployments/{deployment.Id}/cancel"))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }
        Assert.Equal(DeploymentState.Cancelled, (await DeploymentAsync(server, deployment.Id)).State);
        Assert.DoesNotContain("ezio.job=", await File.ReadAllTextAsync(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-52-54-00-00-01-0c")));
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(server.Http, $"/api/v1/deployments/{deployment.Id}/cancel")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(server.Http, "/api/v1/deployments/d0-0/cancel")).StatusCode);
        await Assert.ThrowsAsync<InvalidOperationException>(() => agents.RegisterAsync(C, "10.0.0.12", "x"));

        // Who did what: every change, with the actor the client named and its status.
        var actions = (await server.Http.GetFromJsonAsync("/api/v1/actions", ConsoleJson.IReadOnlyListAdminAction))!;
        Assert.All(actions, a => Assert.Equal("alice", a.Actor));
        Assert.Contains(actions, a => a.Action == $"POST /api/v1/deployments/{deployment.Id}/cancel" && a.Status == 200);
        Assert.Contains(actions, a => a.Action == $"POST /api/v1/deployments/{deployment.Id}/cancel" && a.Status == 409);
        Assert.Contains(actions, a => a.Action == $"POST /api/v1/deployments/{deployment.Id}/machines/{B}/retry" && a.Status == 200);
        Assert.Contains(actions, a => a.Action == $"POST /api/v1/machines/{B}/replace" && a.Status == 200);
        Assert.Contains(actions, a => a.Action == "POST /api/v1/deployments" && a.Status == 201);

        // The report: A's time to done and what it fetched. The history writes results from its
        // own subscription to the events, so A's row may land a moment after its done call.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        DeploymentReport report;
        while (!(report = (await server.Http.GetFromJsonAsync($"/api/v1/deployments/{deployment.Id}/report", ConsoleJson.DeploymentReport, timeout.Token))!).Machines.Any(m => m.Mac == A))
        {
            await Task.Delay(50, timeout.Token);
        }
        Assert.Equal("cancelled", report.State);
        Assert.Contains(report.Machines, m => m.Mac == A && m.Ok && m.Seconds == 33.5);
    }

    [Fact]
    public async Task Replace_WithoutReplacement_LastPendingMachineEndsTheDeployment()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", [A, B]));
        var agents = new AgentSimulator(server);
        await agents.DoneAsync(A, await agents.RegisterAsync(A, "10.0.0.10", "x"), ok: true);
        Assert.Equal(HttpStatusCode.NotFound, (await PostAsync(server.Http, $"/api/v1/machines/{C}/replace")).StatusCode);
        using (var bad = await server.Http.PostAsJsonAsync($"/api/v1/machines/{B}/replace", new ReplaceRequest("zz"), ConsoleJson.ReplaceRequest))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        Assert.Equal([A, B], (await DeploymentAsync(server, deployment.Id)).Machines);
        using (var replace = await PostAsync(server.Http, $"/api/v1/machines/{B}/replace"))
        {
            Assert.Equal(HttpStatusCode.OK, replace.StatusCode);
        }
        var d = await DeploymentAsync(server, deployment.Id);
        Assert.Equal([A], d.Machines);
        Assert.Equal(DeploymentState.Finished, d.State);
    }

    [Fact]
    public async Task Groups_SavedInState_SurviveRestart_BadInputChangesNothing()
    {
        var dirs = new TestDirs();
        await using (var server = await TestServer.StartAsync(dirs))
        {
            var saved = await PutGroupAsync(server.Http, "room 204", [A.ToUpperInvariant(), B, A]);
            Assert.Equal([A, B], saved.Machines);
            using var badMac = await server.Http.PutAsJsonAsync("/api/v1/groups/room%20204", new MachineGroup("room 204", [C, "not-a-mac"]), ConsoleJson.MachineGroup);
            Assert.Equal(HttpStatusCode.BadRequest, badMac.StatusCode);
            using var badName = await server.Http.PutAsJsonAsync("/api/v1/groups/..%2Fx", new MachineGroup("../x", [C]), ConsoleJson.MachineGroup);
            Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
            using var mismatch = await server.Http.PutAsJsonAsync("/api/v1/groups/a", new MachineGroup("b", [C]), ConsoleJson.MachineGroup);
            Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
            await PutGroupAsync(server.Http, "spare", [C]);
            using var deleted = await server.Http.DeleteAsync("/api/v1/groups/spare");
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
            using var missing = await server.Http.DeleteAsync("/api/v1/groups/spare");
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        }
        await using (var restarted = await TestServer.StartAsync(dirs))
        {
            var groups = (await restarted.Http.GetFromJsonAsync("/api/v1/groups", ConsoleJson.IReadOnlyListMachineGroup))!;
            var group = Assert.Single(groups);
            Assert.Equal("room 204", group.Name);
            Assert.Equal([A, B], group.Machines);
        }
    }

    [Fact]
    public async Task Wake_SendsOneMagicPacketPerMachineOfTheGroup()
    {
        var dirs = new TestDirs();
        await using var server = await TestServer.StartAsync(dirs);
        await PutGroupAsync(server.Http, "room 204", [A, B]);
        using var listener = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        var port = ((IPEndPoint)listener.Client.LocalEndPoint!).Port;
        using var response = await server.Http.PostAsJsonAsync("/api/v1/wake", new WakeRequest(null, "room 204", "127.0.0.1", port), ConsoleJson.WakeRequest);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync(ConsoleJson.WakeResult))!.Sent);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var first = await listener.ReceiveAsync(timeout.Token);
        var second = await listener.ReceiveAsync(timeout.Token);
        Assert.Equal(Ezio.Server.Cli.WakeCommand.MagicPacket(A), first.Buffer);
        Assert.Equal(Ezio.Server.Cli.WakeCommand.MagicPacket(B), second.Buffer);

        using var noGroup = await server.Http.PostAsJsonAsync("/api/v1/wake", new WakeRequest(null, "nope", "127.0.0.1", port), ConsoleJson.WakeRequest);
        Assert.Equal(HttpStatusCode.NotFound, noGroup.StatusCode);
        using var badAddress = await server.Http.PostAsJsonAsync("/api/v1/wake", new WakeRequest([A], null, "fe80::1", port), ConsoleJson.WakeRequest);
        Assert.Equal(HttpStatusCode.BadRequest, badAddress.StatusCode);
    }

    [Fact]
    public async Task Images_ListSizeDiskPartitions()
    {
        var dirs = new TestDirs();
        dirs.AddEzioImage("win11");
        dirs.AddImage("raw", length: 100_000);
        await using var server = await TestServer.StartAsync(dirs);
        var images = (await server.Http.GetFromJsonAsync("/api/v1/images", ConsoleJson.IReadOnlyListImageSummary))!.OrderBy(i => i.Name).ToList();
        Assert.Equal(["raw", "win11"], images.Select(i => i.Name));
        Assert.Equal(100_000, images[0].SizeBytes);
        Assert.Equal(0, images[0].Partitions);
        Assert.Equal(1 << 20, images[1].MinDiskBytes);
        Assert.Equal(1, images[1].Partitions);
        Assert.NotNull(images[1].CreatedAt);
    }

    [Fact]
    public async Task Deploy_ResizePolicyAsTheConsoleSendsIt_ReachesTheJob_UnknownPolicyRefusedAndCreatesNothing()
    {
        var dirs = new TestDirs();
        AddResizableImage(dirs, "lab");
        await using var server = await TestServer.StartAsync(dirs);
        var image = (await server.Http.GetFromJsonAsync("/api/v1/images", ConsoleJson.IReadOnlyListImageSummary))!.Single();
        Assert.Equal(1 << 20, image.MinDiskBytes);
        Assert.Equal(768 << 10, image.ResizeMinDiskBytes);
        Assert.Equal(ResizePolicy.None, image.DefaultResize);

        // The body console.js posts, with the selector's value as the wire names it.
        static StringContent Body(string resize) => new(
            $$$"""{"image":"lab","machines":["{{{A}}}"],"after":"reboot","hostnameTemplate":null,"growLastPartition":false,"verifyAfterWrite":false,"resize":"{{{resize}}}"}""",
            Encoding.UTF8, "application/json");
        using (var bad = await server.Http.PostAsync(ApiRoutes.Deployments, Body("shrink")))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        }
        Assert.Empty((await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!);

        DeploymentInfo deployment;
        using (var created = await server.Http.PostAsync(ApiRoutes.Deployments, Body("last-fills")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            deployment = (await created.Content.ReadFromJsonAsync(Json.DeploymentInfo))!;
        }
        Assert.Equal(ResizePolicy.LastFills, deployment.Resize);
        Assert.Equal(ResizePolicy.LastFills, (await DeploymentAsync(server, deployment.Id)).Resize);
        var job = await new AgentSimulator(server).RegisterAsync(A, "10.0.0.10", "x");
        Assert.Equal(ResizePolicy.LastFills, job.Resize!.Policy);
        Assert.Equal(768 << 10, job.Resize.MinimumDiskSize);
        Assert.Equal([1], job.Resize.Partitions.Select(p => p.Number));
    }

    [Fact]
    public async Task Series_SumsOpenDeploymentsRates()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new("lab", [A, B]));
        var agents = new AgentSimulator(server);
        var jobA = await agents.RegisterAsync(A, "10.0.0.10", "x");
        var jobB = await agents.RegisterAsync(B, "10.0.0.11", "x");
        await agents.ProgressAsync(A, jobA, DeployPhase.Downloading, 10, 3000, 100, 1);
        await agents.ProgressAsync(B, jobB, DeployPhase.Downloading, 10, 4000, 200, 1);
        var series = server.Services.GetRequiredService<RateSeries>();
        series.Sample();
        var snapshot = (await server.Http.GetFromJsonAsync(ConsoleEndpoints.Series + "?after=0", ConsoleJson.SeriesSnapshot))!;
        var last = snapshot.Samples[^1];
        Assert.Equal(7000, last.RateIn);
        Assert.Equal(300, last.RateOut);
        Assert.Equal(1000L * 1_000_000 / 8, snapshot.LineRate);
        // The seeder serves the image (4 pieces) and no peer is connected: a piece map of 4 empty regions.
        var map = Assert.Single(snapshot.PieceMaps);
        Assert.Equal(0, map.Peers);
        Assert.Equal([0.0, 0.0, 0.0, 0.0], map.Regions);
        var none = (await server.Http.GetFromJsonAsync(ConsoleEndpoints.Series + "?after=" + last.Seq, ConsoleJson.SeriesSnapshot))!;
        Assert.Empty(none.Samples);
    }

    [Fact]
    public async Task Cli_CancelAndRetry_CallTheSameApi_RecordedAsTheUser()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", [A, B]));
        var agents = new AgentSimulator(server);
        await agents.DoneAsync(B, await agents.RegisterAsync(B, "10.0.0.11", "x"), ok: false, "disk error");
        string[] client = ["--server", server.BaseAddress.ToString(), "--admin-token", server.Options.AdminToken!];
        string[] forged = ["--server", server.BaseAddress.ToString(), "--admin-token", "wrong"];

        Assert.Throws<Ezio.Server.UsageException>(() => Ezio.Server.Cli.ActionCommands.RetryAsync([deployment.Id, "zz", .. client]).GetAwaiter().GetResult());
        Assert.Equal(1, await Ezio.Server.Cli.ActionCommands.RetryAsync([deployment.Id, B, .. forged]));
        Assert.Equal(1, await Ezio.Server.Cli.ActionCommands.CancelAsync([deployment.Id, .. forged]));
        Assert.Equal(1, (await DeploymentAsync(server, deployment.Id)).MachinesFailed);

        Assert.Equal(0, await Ezio.Server.Cli.ActionCommands.RetryAsync([deployment.Id, B, .. client]));
        Assert.Equal(0, (await DeploymentAsync(server, deployment.Id)).MachinesFailed);
        Assert.Equal(0, await Ezio.Server.Cli.ActionCommands.CancelAsync([deployment.Id, .. client]));
        Assert.Equal(DeploymentState.Cancelled, (await DeploymentAsync(server, deployment.Id)).State);
        Assert.Equal(1, await Ezio.Server.Cli.ActionCommands.CancelAsync([deployment.Id, .. client]));

        var actions = (await server.Http.GetFromJsonAsync("/api/v1/actions", ConsoleJson.IReadOnlyListAdminAction))!;
        var cli = "cli:" + Environment.UserName;
        Assert.Contains(actions, a => a.Actor == cli && a.Action == $"POST /api/v1/deployments/{deployment.Id}/machines/{B}/retry" && a.Status == 200);
        Assert.Contains(actions, a => a.Actor == cli && a.Action == $"POST /api/v1/deployments/{deployment.Id}/cancel" && a.Status == 409);
    }

    [Fact]
    public async Task Series_PieceMap_ShowsWhatTheSeedersPeerHolds()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("lab", length: 8 * 65536);
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", [A]));
        var seeder = server.Services.GetRequiredService<Ezio.Server.Seeding.DeploymentSeeder>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (seeder.Stats(torrent.InfoHash) is not { State: Ezio.BitTorrent.Engine.SessionState.Seeding })
        {
            await Task.Delay(50, timeout.Token);
        }

        // A peer holding the first 2 of 8 pieces that never gets further (its writes wait).
        using var storage = new FrozenStorage(await File.ReadAllBytesAsync(Path.Combine(dirs.Repo, "lab", "data"), timeout.Token), 2 * 65536);
        await using var peer = new Ezio.BitTorrent.Engine.TorrentSession(torrent, storage, new Ezio.BitTorrent.Engine.SessionOptions
        {
            Trackers = [],
            InitialPeers = [new IPEndPoint(IPAddress.Loopback, server.PeerPort)],
        });
        await peer.StartAsync(timeout.Token);
        var series = server.Services.GetRequiredService<RateSeries>();
        PieceMap? map = null;
        while (map is not { Peers: 1 } || map.Regions[0] < 1)
        {
            await Task.Delay(100, timeout.Token);
            series.Sample();
            map = series.Since(long.MaxValue).PieceMaps.SingleOrDefault();
        }
        var shown = (await server.Http.GetFromJsonAsync(ConsoleEndpoints.Series + "?after=0", ConsoleJson.SeriesSnapshot))!.PieceMaps.Single();
        Assert.Equal(deployment.Id, shown.DeploymentId);
        Assert.Equal([1.0, 1, 0, 0, 0, 0, 0, 0], shown.Regions);
        storage.Release.Set();
    }

    /// <summary>The first bytes of an image; every write waits (up to a minute) until released.</summary>
    private sealed class FrozenStorage : Ezio.BitTorrent.Storage.ITorrentStorage
    {
        private readonly byte[] _bytes;

        public FrozenStorage(byte[] image, int held)
        {
            _bytes = new byte[image.Length];
            image.AsSpan(0, held).CopyTo(_bytes);
        }

        public ManualResetEventSlim Release { get; } = new();

        public long Length => _bytes.Length;

        public bool MayHaveData => true;

        public void Read(long offset, Span<byte> destination) => _bytes.AsSpan((int)offset, destination.Length).CopyTo(destination);

        public void Write(long offset, ReadOnlySpan<byte> data) => Release.Wait(TimeSpan.FromMinutes(1));

        public void Flush()
        {
        }

        public void Dispose() => Release.Set();
    }

    [Theory]
    [InlineData("10.0.0.5", "10.0.0.1", false, null, false)]
    [InlineData("10.0.0.5", "10.0.0.1", false, "Bearer wrong", false)]
    [InlineData("10.0.0.5", "10.0.0.1", false, "Bearer the-token", true)]
    [InlineData("10.0.0.5", "10.0.0.1", true, null, true)]
    [InlineData("127.0.0.1", "127.0.0.1", false, null, true)]
    [InlineData("10.0.0.1", "10.0.0.1", false, null, true)]
    [InlineData("::ffff:10.0.0.5", "::ffff:10.0.0.1", false, null, false)]
    public void DashboardAccess_LanNeedsTokenUnlessPublic(string remote, string local, bool publicDashboard, string? authorization, bool allowed)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(remote);
        context.Connection.LocalIpAddress = IPAddress.Parse(local);
        if (authorization is not null)
        {
            context.Request.Headers.Authorization = authorization;
        }
        var options = new ServerOptions { AdminToken = "the-token", PublicDashboard = publicDashboard };
        Assert.Equal(allowed, DashboardAccess.Allowed(context, options));
    }

    private static async Task<MachineGroup> PutGroupAsync(HttpClient http, string name, IReadOnlyList<string> macs)
    {
        using var response = await http.PutAsJsonAsync("/api/v1/groups/" + Uri.EscapeDataString(name), new MachineGroup(name, macs), ConsoleJson.MachineGroup);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(ConsoleJson.MachineGroup))!;
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, string path) => http.PostAsync(path, null);

    /// <summary>An image whose manifest records its minimums: a 1 MiB disk whose one ext4 partition may shrink to 256 KiB.</summary>
    private static void AddResizableImage(TestDirs dirs, string name)
    {
        var manifest = new Ezio.Imaging.ImageManifest
        {
            Name = name,
            Source = "test",
            DiskSize = 1 << 20,
            MinimumDiskSize = 768 << 10,
            PartitionTable = new Ezio.Imaging.PartitionTableInfo
            {
                Label = "dos",
                Sfdisk = "label: dos\nunit: sectors\n\n/dev/sda1 : start=1024, size=1024, type=83\n",
                Partitions = [new Ezio.Imaging.PartitionInfo { Number = 1, Start = 1024, Size = 1024, FileSystem = "ext4", Resizable = true, MinimumBytes = 256 << 10 }],
            },
        };
        var segment = new Ezio.Imaging.Build.DiskSegment(512 * 1024, Ezio.Imaging.Partclone.RawBlockSource.FromBytes(System.Security.Cryptography.RandomNumberGenerator.GetBytes(512 * 1024)), "sda1");
        Ezio.Imaging.Build.ImageBuilder.Build(Path.Combine(dirs.Repo, name), manifest, [segment], new Ezio.Imaging.Build.ImageBuildOptions { PieceLength = 64 * 1024 });
    }

    private static async Task<DeploymentInfo> DeploymentAsync(TestServer server, string id) =>
        (await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!.Single(d => d.Id == id);
}
