using System.Net;
using System.Net.Http.Json;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Server.Tests.Deployments;

/// <summary>Deployments and machines in SQLite: restarts, the one-time import of state.json, bounds.</summary>
public sealed class StateStoreTests
{
    private static readonly DeploymentJsonContext Json = DeploymentJsonContext.Default;

    private static RegisterRequest Register(string mac) => new(mac, null, "pc", [], 1L << 30, "boot", "0.1");

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Import_OldStateJson_OnceThenSetAside()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        Directory.CreateDirectory(dirs.State);
        // The state.json of an older server (its shape: camelCase, indented).
        await File.WriteAllTextAsync(Path.Combine(dirs.State, "state.json"), """
            {
              "version": 1,
              "nextDeployment": 8,
              "deployments": [
                { "id": "d20260101-7", "image": "lab", "infoHash": "00112233445566778899aabbccddeeff00112233", "state": "active",
                  "machines": ["52:54:00:00:00:0a"], "done": [], "failed": [], "stopAfterCompleted": 1, "createdAt": "2026-01-01T10:00:00+00:00" }
              ],
              "machines": [
                { "machineId": "m-52540000000a", "mac": "52:54:00:00:00:0a", "ip": "10.0.0.10", "phase": "downloading", "disks": [] }
              ]
            }
            """);
        await using (var server = await TestServer.StartAsync(dirs))
        {
            Assert.Equal("d20260101-7", (await server.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!.Single().Id);
            Assert.Equal(DeployPhase.Downloading, (await server.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo))!.Single().Phase);
            // The id counter comes along: the next deployment is number 8.
            Assert.EndsWith("-8", (await server.DeployAsync(new("lab", ["52:54:00:00:00:0b"]))).Id, StringComparison.Ordinal);
        }
        Assert.False(File.Exists(Path.Combine(dirs.State, "state.json")));
        Assert.True(File.Exists(Path.Combine(dirs.State, "state.json.imported")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(dirs.State, "state.db")) & (UnixFileMode)0x1ff);

        // A second start reads the database only: nothing twice, nothing lost.
        await using var again = await TestServer.StartAsync(dirs);
        Assert.Equal(["d20260101-7", "d" + DateTimeOffset.UtcNow.ToString("yyyyMMdd") + "-8"],
            (await again.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!.Select(d => d.Id).Order().ToArray());
        Assert.Single((await again.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo))!);
    }

    [Fact]
    public async Task Restart_MidDeployment_KeepsDeploymentMachinesAndDone()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        const string a = "52:54:00:00:00:0a", b = "52:54:00:00:00:0b";
        string id;
        RegisterResponse first;
        await using (var server = await TestServer.StartAsync(dirs))
        {
            id = (await server.DeployAsync(new("lab", [a, b]))).Id;
            using var agent = server.Client();
            first = (await (await agent.PostAsJsonAsync(ApiRoutes.Register, Register(a), Json.RegisterRequest)).Content.ReadFromJsonAsync(Json.RegisterResponse))!;
            using var holder = server.Client(first.Secret);
            (await holder.PostAsJsonAsync(ApiRoutes.Done, new DoneReport(first.MachineId, id, true, null, 1, 1, 1, 1, 1), Json.DoneReport)).EnsureSuccessStatusCode();
        }
        await using var again = await TestServer.StartAsync(dirs);
        var deployment = (await again.Http.GetFromJsonAsync(ApiRoutes.Deployments, Json.IReadOnlyListDeploymentInfo))!.Single();
        Assert.Equal((id, DeploymentState.Active, 1), (deployment.Id, deployment.State, deployment.MachinesDone));
        Assert.Equal(DeployPhase.Done, (await again.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo))!.Single().Phase);
        // The machine that is done still speaks with its secret (seeding query).
        using var seeder = again.Client(first.Secret);
        Assert.Equal(HttpStatusCode.OK, (await seeder.GetAsync($"{ApiRoutes.Seeding}?deployment={id}&machine={first.MachineId}")).StatusCode);
    }

    [Fact]
    public async Task Register_PastMaxMachines_OldestIdleForgottenMembersKept()
    {
        var dirs = new TestDirs();
        dirs.AddImage("lab");
        var time = new FakeTime(DateTimeOffset.UtcNow);
        const string member = "52:54:00:00:01:00";
        await using (var server = await TestServer.StartAsync(dirs, o => o.MaxMachines = 3, time))
        {
            await server.DeployAsync(new("lab", [member]));
            using var agent = server.Client();
            foreach (var mac in new[] { member, "52:54:00:00:01:01", "52:54:00:00:01:02", "52:54:00:00:01:03" })
            {
                (await agent.PostAsJsonAsync(ApiRoutes.Register, Register(mac), Json.RegisterRequest)).EnsureSuccessStatusCode();
                time.Advance(TimeSpan.FromSeconds(1));
            }
            Assert.Equal([member, "52:54:00:00:01:02", "52:54:00:00:01:03"], await MacsAsync(server));
        }
        await using var again = await TestServer.StartAsync(dirs, o => o.MaxMachines = 3, time);
        Assert.Equal([member, "52:54:00:00:01:02", "52:54:00:00:01:03"], await MacsAsync(again));
    }

    [Fact]
    public async Task Register_NewMacsFromOneAddress_RateLimited()
    {
        var time = new FakeTime(DateTimeOffset.UtcNow);
        await using var server = await TestServer.StartAsync(configure: o => o.NewMachinesPerMinute = 2, time: time);
        using var agent = server.Client();
        async Task<HttpStatusCode> RegisterAsync(string mac)
        {
            using var response = await agent.PostAsJsonAsync(ApiRoutes.Register, Register(mac), Json.RegisterRequest);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.OK, await RegisterAsync("52:54:00:00:02:01"));
        Assert.Equal(HttpStatusCode.OK, await RegisterAsync("52:54:00:00:02:02"));
        Assert.Equal(HttpStatusCode.TooManyRequests, await RegisterAsync("52:54:00:00:02:03"));
        // A known machine is never limited; another address has its own allowance.
        Assert.Equal(HttpStatusCode.OK, await RegisterAsync("52:54:00:00:02:01"));
        using var other = server.Client(localAddress: "127.0.0.3");
        Assert.Equal(HttpStatusCode.OK, (await other.PostAsJsonAsync(ApiRoutes.Register, Register("52:54:00:00:02:04"), Json.RegisterRequest)).StatusCode);
        Assert.Equal(3, (await MacsAsync(server)).Length);
        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, await RegisterAsync("52:54:00:00:02:03"));
    }

    private static async Task<string[]> MacsAsync(TestServer server) =>
        (await server.Http.GetFromJsonAsync(ApiRoutes.Machines, Json.IReadOnlyListMachineInfo))!.Select(m => m.Mac).Order(StringComparer.Ordinal).ToArray();
}
