using System.Net;
using System.Net.Http.Json;
using System.Text;
using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Xunit;

namespace Ezio.Server.Tests.Api;

public sealed class AgentFlowTests
{
    private const string Mac = "52:54:00:aa:bb:01";
    private static readonly DeploymentJsonContext Json = DeploymentJsonContext.Default;

    private static RegisterRequest Register(string mac = Mac) => new(mac, "10.0.0.11", "pc1",
        [new DiskInfo("/dev/sda", "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", 500L << 30, "DISK", "S1", false, true)], 4L << 30, "boot-1", "0.1");

    [Fact]
    public async Task AgentFlow_RegisterJobProgressDone_MenuFlippedThenAcknowledged()
    {
        var dirs = new TestDirs();
        var torrent = dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var pxe = Path.Combine(dirs.Boot, "pxelinux.cfg", "01-52-54-00-aa-bb-01");

        // No deployment yet: wait.
        var early = await PostAsync(server, ApiRoutes.Register, Register(), Json.RegisterRequest, Json.RegisterResponse);
        Assert.Null(early.Job);
        Assert.Equal(15, early.Wait!.RetryAfterSeconds);

        var deployment = await server.DeployAsync(new("lab", [Mac.ToUpperInvariant()], AfterAction.Poweroff, Hostnames: new Dictionary<string, string> { [Mac] = "pc-one" }));
        Assert.Contains("ezio.server=http://127.0.0.1:1 ezio.job=" + deployment.Id + " ezio.after=poweroff", await File.ReadAllTextAsync(pxe));

        var registered = await PostAsync(server, ApiRoutes.Register, Register(), Json.RegisterRequest, Json.RegisterResponse);
        var job = registered.Job!;
        Assert.Equal(deployment.Id, job.DeploymentId);
        Assert.Equal(torrent.InfoHash.ToString(), job.InfoHash);
        Assert.Equal(torrent.TotalLength, job.ImageSizeBytes);
        Assert.Equal("pc-one", job.PostSteps.Hostname);
        Assert.Equal(AfterAction.Poweroff, job.After);
        Assert.Null(job.Signature);

        Assert.Equal(job.Secret, registered.Secret);
        Assert.False(string.IsNullOrEmpty(job.Secret));
        using var agent = server.Client(registered.Secret);
        var again = await agent.GetFromJsonAsync($"{ApiRoutes.Job}?machine={registered.MachineId}", Json.JobResponse);
        Assert.Equal(deployment.Id, again!.Job!.DeploymentId);

        var torrentBytes = await server.Http.GetByteArrayAsync(new Uri(job.TorrentUrl).PathAndQuery);
        Assert.Equal(torrent.InfoHash, Ezio.BitTorrent.Metainfo.Torrent.Parse(torrentBytes).InfoHash);

        using (var progress = await agent.PostAsJsonAsync(ApiRoutes.Progress,
            new ProgressReport(registered.MachineId, job.DeploymentId, DeployPhase.Downloading, 10, 100, 5, 1, 2, null), Json.ProgressReport))
        {
            Assert.Equal(HttpStatusCode.NoContent, progress.StatusCode);
        }
        var machines = await server.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo);
        Assert.Equal(DeployPhase.Downloading, machines!.Single().Phase);

        var seeding = await agent.GetFromJsonAsync($"{ApiRoutes.Seeding}?deployment={job.DeploymentId}&machine={registered.MachineId}", Json.SeedingStatus);
        Assert.True(seeding!.KeepSeeding);

        var done = await PostAsync(server, ApiRoutes.Done, new DoneReport(registered.MachineId, job.DeploymentId, true, null, 10, 1, 12, 100, 100), Json.DoneReport, Json.DoneResponse, registered.Secret);
        Assert.True(done.Acknowledged);
        Assert.False(done.KeepSeeding); // the only machine is done
        Assert.Contains("LOCALBOOT 0", await File.ReadAllTextAsync(pxe));
        Assert.Contains("exit", await File.ReadAllTextAsync(Path.Combine(dirs.Boot, "grub", "grub.cfg-01-52:54:00:aa:bb:01")));
        Assert.Contains("sanboot", await server.Http.GetStringAsync("/boot/52:54:00:aa:bb:01.ipxe"));

        var deployments = await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo);
        Assert.Equal(DeploymentState.Finished, deployments!.Single().State);
        var later = await PostAsync(server, ApiRoutes.Register, Register(), Json.RegisterRequest, Json.RegisterResponse);
        Assert.StartsWith("already deployed", later.Wait!.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AllMachines_TwoAgents_FirstDoneKeepsSeedingUntilOthersDone()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", ["all"], Seeding: new SeedingPolicy(true, 30)));
        var a = await PostAsync(server, ApiRoutes.Register, Register("52:54:00:00:00:0a"), Json.RegisterRequest, Json.RegisterResponse);
        var b = await PostAsync(server, ApiRoutes.Register, Register("52:54:00:00:00:0b"), Json.RegisterRequest, Json.RegisterResponse);
        Assert.Equal(deployment.Id, a.Job!.DeploymentId);
        Assert.Equal(deployment.Id, b.Job!.DeploymentId);
        // Joining an "all" deployment writes the machine's deploy menu.
        Assert.Contains("ezio.job=" + deployment.Id, await File.ReadAllTextAsync(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-52-54-00-00-00-0a")));

        var doneA = await PostAsync(server, ApiRoutes.Done, new DoneReport(a.MachineId, deployment.Id, true, null, 1, 0, 1, 1, 1), Json.DoneReport, Json.DoneResponse, a.Secret);
        Assert.True(doneA.KeepSeeding);
        Assert.NotNull(doneA.SeedUntil);
        var failB = await PostAsync(server, ApiRoutes.Done, new DoneReport(b.MachineId, deployment.Id, false, "disk too small", 0, 0, 1, 0, 0), Json.DoneReport, Json.DoneResponse, b.Secret);
        Assert.False(failB.KeepSeeding);
        // A failed machine keeps its deploy entry.
        Assert.Contains("ezio.job=", await File.ReadAllTextAsync(Path.Combine(dirs.Boot, "pxelinux.cfg", "01-52-54-00-00-00-0b")));
        using var agentA = server.Client(a.Secret);
        var seeding = await agentA.GetFromJsonAsync($"{ApiRoutes.Seeding}?deployment={deployment.Id}&machine={a.MachineId}", Json.SeedingStatus);
        Assert.False(seeding!.KeepSeeding);
        Assert.Equal(1, seeding.MachinesDone);
    }

    [Fact]
    public async Task Progress_LandingAfterDoneOrFailure_DoesNotRewindThePhase()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var deployment = await server.DeployAsync(new("lab", ["52:54:00:00:00:0a", "52:54:00:00:00:0b", "52:54:00:00:00:0c"]));
        var a = await PostAsync(server, ApiRoutes.Register, Register("52:54:00:00:00:0a"), Json.RegisterRequest, Json.RegisterResponse);
        var b = await PostAsync(server, ApiRoutes.Register, Register("52:54:00:00:00:0b"), Json.RegisterRequest, Json.RegisterResponse);
        await PostAsync(server, ApiRoutes.Done, new DoneReport(a.MachineId, deployment.Id, true, null, 1, 0, 1, 1, 1), Json.DoneReport, Json.DoneResponse, a.Secret);
        await PostAsync(server, ApiRoutes.Done, new DoneReport(b.MachineId, deployment.Id, false, "disk too small", 0, 0, 1, 0, 0), Json.DoneReport, Json.DoneResponse, b.Secret);

        // The reporters' last posts, sent before the done reports, arrive after them.
        using var agentA = server.Client(a.Secret);
        using var agentB = server.Client(b.Secret);
        using (await agentA.PostAsJsonAsync(ApiRoutes.Progress, new ProgressReport(a.MachineId, deployment.Id, DeployPhase.Verifying, 1, 1, 0, 0, 1, null), Json.ProgressReport))
        using (await agentB.PostAsJsonAsync(ApiRoutes.Progress, new ProgressReport(b.MachineId, deployment.Id, DeployPhase.Checking, 0, 1, 0, 0, 0, null), Json.ProgressReport))
        {
        }
        var machines = await server.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo);
        Assert.Equal(DeployPhase.Done, machines!.Single(m => m.Mac == "52:54:00:00:00:0a").Phase);
        Assert.Equal(DeployPhase.Failed, machines!.Single(m => m.Mac == "52:54:00:00:00:0b").Phase);

        // A done machine that goes on to seed says so.
        using (await agentA.PostAsJsonAsync(ApiRoutes.Progress, new ProgressReport(a.MachineId, deployment.Id, DeployPhase.Seeding, 1, 1, 0, 5, 1, null), Json.ProgressReport))
        {
        }
        machines = await server.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo);
        Assert.Equal(DeployPhase.Seeding, machines!.Single(m => m.Mac == "52:54:00:00:00:0a").Phase);
    }

    [Fact]
    public async Task Progress_MachineOfOtherDeployment_404()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        var d1 = await server.DeployAsync(new("lab", ["52:54:00:00:00:0a"]));
        await server.DeployAsync(new("lab", ["52:54:00:00:00:0b"]));
        var b = await PostAsync(server, ApiRoutes.Register, Register("52:54:00:00:00:0b"), Json.RegisterRequest, Json.RegisterResponse);
        using var response = await server.Http.PostAsJsonAsync(ApiRoutes.Progress,
            new ProgressReport(b.MachineId, d1.Id, DeployPhase.Downloading, 0, 1, 0, 0, 0, null), Json.ProgressReport);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("machine is not part of this deployment", (await response.Content.ReadFromJsonAsync(Json.ErrorResponse))!.Error);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync("/boot/..%2F..%2Fetc%2Fpasswd.ipxe")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await server.Http.GetAsync(ApiRoutes.TorrentPath(".."))).StatusCode);
    }

    [Fact]
    public async Task Register_WithSigningKey_JobVerifies()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        using var key = JobSigner.CreateKey();
        await using var server = await TestServer.StartAsync(dirs, o => o.SigningKeyPem = key.ExportPkcs8PrivateKeyPem());
        await server.DeployAsync(new("lab", [Mac]));
        var job = (await PostAsync(server, ApiRoutes.Register, Register(), Json.RegisterRequest, Json.RegisterResponse)).Job!;
        Assert.True(JobSigner.Verify(job, key.ExportSubjectPublicKeyInfoPem()));
        Assert.False(JobSigner.Verify(job with { After = AfterAction.Stay }, key.ExportSubjectPublicKeyInfoPem()));
    }

    [Fact]
    public async Task State_Restart_KeepsDeployments()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        string id;
        await using (var first = await TestServer.StartAsync(dirs))
        {
            id = (await first.DeployAsync(new("lab", [Mac]))).Id;
        }
        await using var second = await TestServer.StartAsync(dirs);
        var job = (await PostAsync(second, ApiRoutes.Register, Register(), Json.RegisterRequest, Json.RegisterResponse)).Job;
        Assert.Equal(id, job!.DeploymentId);
    }

    [Fact]
    public async Task Job_HostnameTemplateAndGrow_ReachThePostStepsMapWins()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        const string second = "52:54:00:aa:bb:02";
        await server.DeployAsync(new("lab", [Mac, second], GrowLastPartition: true, HostnameTemplate: "lab-{index:2}-{mac6}",
            Hostnames: new Dictionary<string, string> { [Mac] = "teacher" }));

        var first = (await PostAsync(server, ApiRoutes.Register, Register(), Json.RegisterRequest, Json.RegisterResponse)).Job!;
        var other = (await PostAsync(server, ApiRoutes.Register, Register(second), Json.RegisterRequest, Json.RegisterResponse)).Job!;

        Assert.Equal(new PostSteps("teacher", true), first.PostSteps);
        Assert.Equal(new PostSteps("lab-02-aabb02", true), other.PostSteps);
    }

    [Theory]
    [InlineData(ApiRoutes.Register, "{\"mac\":\"zz:54:00:aa:bb:01\",\"disks\":[],\"ramBytes\":1}", 400)]
    [InlineData(ApiRoutes.Register, "{\"mac\":\"52:54:00:aa:bb:01\",\"disks\":[],\"ramBytes\":-1}", 400)]
    [InlineData(ApiRoutes.Register, "not json", 400)]
    [InlineData(ApiRoutes.Progress, "{\"machineId\":\"m-x\",\"deploymentId\":\"d-x\",\"phase\":\"downloading\",\"bytesDone\":1,\"bytesTotal\":2,\"rateIn\":0,\"rateOut\":0,\"peers\":0}", 404)]
    [InlineData(ApiRoutes.Done, "{\"machineId\":\"m-x\",\"deploymentId\":\"d-x\",\"ok\":true}", 404)]
    [InlineData(ApiRoutes.Deployments, "{\"image\":\"../etc\",\"machines\":[\"all\"]}", 404)]
    [InlineData(ApiRoutes.Deployments, "{\"image\":\"lab\",\"machines\":[\"nope\"]}", 400)]
    [InlineData(ApiRoutes.Deployments, "{\"image\":\"lab\",\"machines\":[\"all\"],\"hostnameTemplate\":\"pc-{serial}\"}", 400)]
    [InlineData(ApiRoutes.Deployments, "{\"image\":\"lab\",\"machines\":[\"all\"],\"hostnameTemplate\":\"pc.{index}\"}", 400)]
    public async Task Post_BadInput_Clear4xx(string path, string body, int status)
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        await using var server = await TestServer.StartAsync(dirs);
        using var response = await server.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(status, (int)response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(Json.ErrorResponse);
        Assert.False(string.IsNullOrEmpty(error!.Error));
    }

    [Fact]
    public async Task Post_OversizedBody_413()
    {
        await using var server = await TestServer.StartAsync();
        var body = "{\"mac\":\"" + new string('a', ApiRoutes.MaxBodyBytes * 2) + "\"}";
        using var response = await server.Http.PostAsync(ApiRoutes.Register, new StringContent(body, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task Admin_WithToken_RequiresBearer()
    {
        await using var server = await TestServer.StartAsync(configure: o => o.AdminToken = "s3cret");
        using var anonymous = server.Client();
        using (var refused = await anonymous.GetAsync(ApiRoutes.Deployments))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, ApiRoutes.Deployments);
        request.Headers.Authorization = new("Bearer", "s3cret");
        using var ok = await anonymous.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    internal static async Task<TResponse> PostAsync<TRequest, TResponse>(TestServer server, string path, TRequest body,
        System.Text.Json.Serialization.Metadata.JsonTypeInfo<TRequest> requestInfo, System.Text.Json.Serialization.Metadata.JsonTypeInfo<TResponse> responseInfo,
        string? secret = null)
    {
        using var client = server.Client(secret);
        using var response = await client.PostAsJsonAsync(path, body, requestInfo);
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync(responseInfo))!;
    }
}
