using System.Net;
using System.Net.Http.Json;
using Ezio.Deployment.Contracts;
using Ezio.Server.Cli;
using Ezio.Server.Dashboard;
using Xunit;

namespace Ezio.Server.Tests.Api;

/// <summary>
/// What another host on the LAN can try with curl against a default server: queue a wipe,
/// take a victim's job, or report for it. Every attempt is refused and changes nothing.
/// The victim connects from 127.0.0.1, the other host from 127.0.0.2.
/// </summary>
public sealed class ForgeryTests
{
    private const string Victim = "52:54:00:aa:bb:01";
    private const string VictimAddress = "127.0.0.1";
    private const string OtherAddress = "127.0.0.2";
    private static readonly DeploymentJsonContext Json = DeploymentJsonContext.Default;

    private static RegisterRequest Register(string ip = "10.9.9.9", string hostname = "pc1") =>
        new(Victim, ip, hostname, [new DiskInfo("/dev/sda", null, 500L << 30, "DISK", "S1", false, true)], 4L << 30, "boot-1", "0.1");

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task CreateDeployment_WithoutToken_401AndNothingQueued()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        using var other = server.Client(localAddress: OtherAddress);

        using (var response = await other.PostAsJsonAsync(ApiRoutes.Deployments, new CreateDeploymentRequest("lab", ["all"]), Json.CreateDeploymentRequest))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        using var wrong = new HttpRequestMessage(HttpMethod.Post, ApiRoutes.Deployments) { Content = JsonContent.Create(new CreateDeploymentRequest("lab", [Victim]), Json.CreateDeploymentRequest) };
        wrong.Headers.Authorization = new("Bearer", server.Options.AdminToken + "x");
        using (var response = await other.SendAsync(wrong))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.GetAsync(ApiRoutes.Machines)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.PostAsync(ApiRoutes.ReleasePath(Victim), null)).StatusCode);

        Assert.Empty((await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!);
        Assert.False(Directory.Exists(Path.Combine(dirs.Boot, "pxelinux.cfg")) && Directory.EnumerateFiles(Path.Combine(dirs.Boot, "pxelinux.cfg")).Any());
        // The token the server made on its first start: in the state directory, owner-only.
        var file = Path.Combine(dirs.State, "admin-token");
        Assert.Equal(server.Options.AdminToken, (await File.ReadAllTextAsync(file)).Trim());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        Assert.False((await server.Http.GetFromJsonAsync(DashboardEndpoints.Snapshot, DashboardJsonContext.Default.DashboardSnapshot))!.Insecure);
    }

    [Fact]
    public async Task AdminToken_SecondStart_ReusesTheFile()
    {
        var dirs = new TestDirs();
        string first;
        await using (var server = await TestServer.StartAsync(dirs))
        {
            first = server.Options.AdminToken!;
        }
        await using var again = await TestServer.StartAsync(dirs);
        Assert.Equal(first, again.Options.AdminToken);
        Assert.Equal(HttpStatusCode.OK, (await again.Http.GetAsync(ApiRoutes.Deployments)).StatusCode);
    }

    [Fact]
    public async Task Insecure_NoToken_AdminOpenAndDashboardWarns()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs, o => o.Insecure = true);
        using var anyone = server.Client();
        using (var response = await anyone.PostAsJsonAsync(ApiRoutes.Deployments, new CreateDeploymentRequest("lab", [Victim]), Json.CreateDeploymentRequest))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
        Assert.False(File.Exists(Path.Combine(dirs.State, "admin-token")));
        Assert.True((await anyone.GetFromJsonAsync(DashboardEndpoints.Snapshot, DashboardJsonContext.Default.DashboardSnapshot))!.Insecure);
        Assert.Contains("id=\"insecure\"", await anyone.GetStringAsync("/"));
    }

    [Fact]
    public async Task Register_VictimMacFromOtherAddress_ConflictNoJobUntilReleased()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", [Victim]));
        using var victim = server.Client(localAddress: VictimAddress);
        using var other = server.Client(localAddress: OtherAddress);
        var mine = await RegisterAsync(victim, Register());
        Assert.NotNull(mine.Job);

        var stolen = await RegisterAsync(other, Register(ip: VictimAddress, hostname: "evil"));
        Assert.Null(stolen.Job);
        Assert.Null(stolen.Secret);
        Assert.StartsWith("paused", stolen.Wait!.Reason, StringComparison.Ordinal);

        // The dashboard and the admin list show the conflict; the first registration's facts stay.
        var shown = (await server.Http.GetFromJsonAsync(DashboardEndpoints.Snapshot, DashboardJsonContext.Default.DashboardSnapshot))!.Machines.Single();
        Assert.Equal(OtherAddress, shown.Conflict);
        Assert.Equal(VictimAddress, shown.Ip);
        Assert.Equal("pc1", shown.Hostname);

        // Paused: nobody gets the job, the holder's reports are refused too, nothing moves.
        using var holder = server.Client(mine.Secret, VictimAddress);
        Assert.Null((await RegisterAsync(victim, Register())).Job);
        Assert.Equal(HttpStatusCode.Conflict, (await holder.GetAsync($"{ApiRoutes.Job}?machine={mine.MachineId}")).StatusCode);
        using (var progress = await holder.PostAsJsonAsync(ApiRoutes.Progress,
            new ProgressReport(mine.MachineId, deployment.Id, DeployPhase.Downloading, 1, 2, 0, 0, 0, null), Json.ProgressReport))
        {
            Assert.Equal(HttpStatusCode.Conflict, progress.StatusCode);
        }
        Assert.Equal(DeployPhase.Registered, (await MachineAsync(server)).Phase);

        // The admin releases it (the CLI finds the token in the state directory by itself);
        // the next registration gets the job with a new secret, and the old one is void.
        Assert.Equal(0, await AdminCommands.ReleaseAsync([Victim, "--server", server.BaseAddress.ToString(), "--state", dirs.State]));
        Assert.Null((await MachineAsync(server)).Conflict);
        var again = await RegisterAsync(victim, Register());
        Assert.Equal(deployment.Id, again.Job!.DeploymentId);
        Assert.NotEqual(mine.Secret, again.Secret);
        Assert.Equal(again.Secret, again.Job.Secret);
        using (var stale = await holder.PostAsJsonAsync(ApiRoutes.Progress,
            new ProgressReport(mine.MachineId, deployment.Id, DeployPhase.Downloading, 1, 2, 0, 0, 0, null), Json.ProgressReport))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, stale.StatusCode);
        }
    }

    [Fact]
    public async Task Register_SameAddressAgain_SameSecretAndJob()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        await server.DeployAsync(new("lab", [Victim]));
        using var victim = server.Client(localAddress: VictimAddress);
        var first = await RegisterAsync(victim, Register());
        // An agent restart re-registers from the same address and keeps its secret.
        var second = await RegisterAsync(victim, Register());
        Assert.Equal(first.Secret, second.Secret);
        Assert.Equal(first.Job!.DeploymentId, second.Job!.DeploymentId);
        Assert.Null((await MachineAsync(server)).Conflict);
    }

    [Fact]
    public async Task Register_SelfReportedIp_Ignored()
    {
        var dirs = new TestDirs();
        await using var server = await TestServer.StartAsync(dirs);
        using var other = server.Client(localAddress: OtherAddress);
        await RegisterAsync(other, Register(ip: "10.0.0.77"));
        Assert.Equal(OtherAddress, (await MachineAsync(server)).Ip);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("forged-secret")]
    public async Task ForgedReports_NoOrWrongSecret_RefusedNothingFlipped(string? secret)
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", [Victim]));
        using var victim = server.Client(localAddress: VictimAddress);
        var mine = await RegisterAsync(victim, Register());
        var pxe = Path.Combine(dirs.Boot, "pxelinux.cfg", "01-52-54-00-aa-bb-01");
        var menuBefore = await File.ReadAllTextAsync(pxe);
        var id = mine.MachineId;
        using var other = server.Client(secret, OtherAddress);

        var calls = new List<HttpResponseMessage>
        {
            await other.PostAsJsonAsync(ApiRoutes.Done, new DoneReport(id, deployment.Id, true, null, 1, 1, 1, 1, 1), Json.DoneReport),
            await other.PostAsJsonAsync(ApiRoutes.Done, new DoneReport(id, deployment.Id, false, "forged failure", 1, 1, 1, 1, 1), Json.DoneReport),
            await other.PostAsJsonAsync(ApiRoutes.Progress, new ProgressReport(id, deployment.Id, DeployPhase.Seeding, 2, 2, 0, 0, 0, "forged"), Json.ProgressReport),
            await other.GetAsync($"{ApiRoutes.Seeding}?deployment={deployment.Id}&machine={id}"),
            await other.GetAsync($"{ApiRoutes.Job}?machine={id}"),
        };
        foreach (var response in calls)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            response.Dispose();
        }

        Assert.Equal(menuBefore, await File.ReadAllTextAsync(pxe));
        Assert.Contains("ezio.job=" + deployment.Id, await server.Http.GetStringAsync($"/boot/{Victim}.ipxe"));
        var state = (await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!.Single();
        Assert.Equal((DeploymentState.Active, 0, 0), (state.State, state.MachinesDone, state.MachinesFailed));
        var machine = await MachineAsync(server);
        Assert.Equal((DeployPhase.Registered, null), (machine.Phase, machine.Message));

        // The real machine's own secret still works.
        using var holder = server.Client(mine.Secret, VictimAddress);
        using var ok = await holder.PostAsJsonAsync(ApiRoutes.Progress, new ProgressReport(id, deployment.Id, DeployPhase.Downloading, 1, 2, 0, 0, 0, null), Json.ProgressReport);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
    }

    [Fact]
    public async Task Cancel_MachineWithSecret410_ForgedStill401_NewDeploymentWorks()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", [Victim]));
        using var victim = server.Client(localAddress: VictimAddress);
        var mine = await RegisterAsync(victim, Register());
        var id = mine.MachineId;
        using (var cancel = await server.Http.PostAsync($"/api/v1/deployments/{deployment.Id}/cancel", null))
        {
            Assert.Equal(HttpStatusCode.OK, cancel.StatusCode);
        }

        // Without the machine's secret nobody learns anything about the deployment.
        using var other = server.Client(null, OtherAddress);
        using var forger = server.Client("forged-secret", OtherAddress);
        foreach (var client in new[] { other, forger })
        {
            using var forged = await client.PostAsJsonAsync(ApiRoutes.Progress, new ProgressReport(id, deployment.Id, DeployPhase.Downloading, 1, 2, 0, 0, 0, null), Json.ProgressReport);
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        // The machine itself is told, on its progress and on its done report: 410 with the reason.
        using var holder = server.Client(mine.Secret, VictimAddress);
        using (var progress = await holder.PostAsJsonAsync(ApiRoutes.Progress, new ProgressReport(id, deployment.Id, DeployPhase.Downloading, 1, 2, 0, 0, 0, null), Json.ProgressReport))
        {
            Assert.Equal(HttpStatusCode.Gone, progress.StatusCode);
            Assert.Contains("cancelled", (await progress.Content.ReadFromJsonAsync(Json.ErrorResponse))!.Error, StringComparison.Ordinal);
        }
        using (var done = await holder.PostAsJsonAsync(ApiRoutes.Done, new DoneReport(id, deployment.Id, true, null, 1, 1, 1, 1, 1), Json.DoneReport))
        {
            Assert.Equal(HttpStatusCode.Gone, done.StatusCode);
        }
        var cancelled = (await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!.Single();
        Assert.Equal((DeploymentState.Cancelled, 0), (cancelled.State, cancelled.MachinesDone));

        // A new deployment of the same machine goes through as usual.
        var next = await server.DeployAsync(new("lab", [Victim]));
        var again = await RegisterAsync(victim, Register());
        Assert.Equal(next.Id, again.Job!.DeploymentId);
        using var renewed = server.Client(again.Secret, VictimAddress);
        using var ok = await renewed.PostAsJsonAsync(ApiRoutes.Progress, new ProgressReport(id, next.Id, DeployPhase.Downloading, 1, 2, 0, 0, 0, null), Json.ProgressReport);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
    }

    [Fact]
    public async Task Restart_MidDeployment_KeepsSecretAndToken()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        RegisterResponse mine;
        string deploymentId;
        await using (var first = await TestServer.StartAsync(dirs))
        {
            deploymentId = (await first.DeployAsync(new("lab", [Victim]))).Id;
            using var victim = first.Client(localAddress: VictimAddress);
            mine = await RegisterAsync(victim, Register());
        }
        await using var second = await TestServer.StartAsync(dirs);
        using var holder = second.Client(mine.Secret, VictimAddress);
        using (var progress = await holder.PostAsJsonAsync(ApiRoutes.Progress,
            new ProgressReport(mine.MachineId, deploymentId, DeployPhase.Downloading, 1, 2, 0, 0, 0, null), Json.ProgressReport))
        {
            Assert.Equal(HttpStatusCode.NoContent, progress.StatusCode);
        }
        using var other = second.Client(localAddress: OtherAddress);
        Assert.Null((await RegisterAsync(other, Register())).Job);
        Assert.Equal(OtherAddress, (await MachineAsync(second)).Conflict);
    }

    private static async Task<RegisterResponse> RegisterAsync(HttpClient client, RegisterRequest request)
    {
        using var response = await client.PostAsJsonAsync(ApiRoutes.Register, request, Json.RegisterRequest);
        Assert.True(response.IsSuccessStatusCode, $"register: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync(Json.RegisterResponse))!;
    }

    private static async Task<MachineInfo> MachineAsync(TestServer server) =>
        (await server.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo))!.Single();
}
