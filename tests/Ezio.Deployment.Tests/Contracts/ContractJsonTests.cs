using System.Text.Json;
using Ezio.Deployment.Contracts;
using Xunit;

namespace Ezio.Deployment.Tests.Contracts;

public sealed class ContractJsonTests
{
    private static T RoundTrip<T>(T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info)
    {
        var json = JsonSerializer.Serialize(value, info);
        return JsonSerializer.Deserialize(json, info)!;
    }

    [Fact]
    public void Job_RoundTrip_Equal()
    {
        var job = Samples.Job();
        var back = RoundTrip(job, DeploymentJsonContext.Default.Job);
        Assert.Equal(job with { }, back with { });
        Assert.Equal(job.TargetDisk, back.TargetDisk);
        Assert.Equal(job.PostSteps, back.PostSteps);
    }

    [Fact]
    public void Job_Serialize_UsesWireNames()
    {
        var json = JsonSerializer.Serialize(Samples.Job(), DeploymentJsonContext.Default.Job);
        Assert.Contains("\"deploymentId\":\"d-20260101-1\"", json);
        Assert.Contains("\"kind\":\"by-path\"", json);
        Assert.Contains("\"after\":\"reboot\"", json);
        Assert.Contains("\"seeding\":{\"untilAllDone\":true,\"maxMinutes\":30}", json);
    }

    [Fact]
    public void RegisterRequest_RoundTrip_KeepsDisks()
    {
        var request = new RegisterRequest("52:54:00:12:34:56", "10.0.0.7", "pc7",
            [new DiskInfo("/dev/sda", "/dev/disk/by-path/pci-0000:00:1f.2-ata-1", 500107862016, "WDC", "WD-123", false, true)],
            8L << 30, "6c1f0a7e-2d3b-4b86-9c1a-0f0e0d0c0b0a", "0.1.0");
        var back = RoundTrip(request, DeploymentJsonContext.Default.RegisterRequest);
        Assert.Equal(request.Mac, back.Mac);
        Assert.Equal(request.Disks[0], back.Disks[0]);
        Assert.Equal(request.RamBytes, back.RamBytes);
    }

    [Fact]
    public void RegisterResponse_Wait_RoundTrip()
    {
        var response = new RegisterResponse("m-1", null, new WaitInstruction("no deployment for this machine", 15));
        var back = RoundTrip(response, DeploymentJsonContext.Default.RegisterResponse);
        Assert.Null(back.Job);
        Assert.Equal(response.Wait, back.Wait);
    }

    [Fact]
    public void Reports_RoundTrip_Equal()
    {
        var progress = new ProgressReport("m-1", "d-1", DeployPhase.Downloading, 10, 100, 5, 6, 3, "ok");
        Assert.Equal(progress, RoundTrip(progress, DeploymentJsonContext.Default.ProgressReport));
        var done = new DoneReport("m-1", "d-1", false, "disk too small", 1.5, 0, 2.5, 100, 90);
        Assert.Equal(done, RoundTrip(done, DeploymentJsonContext.Default.DoneReport));
        var ack = new DoneResponse(true, true, DateTimeOffset.UnixEpoch);
        Assert.Equal(ack, RoundTrip(ack, DeploymentJsonContext.Default.DoneResponse));
    }

    [Fact]
    public void CreateDeploymentRequest_MinimalJson_UsesDefaults()
    {
        var request = JsonSerializer.Deserialize("{\"image\":\"x\",\"machines\":[\"all\"]}", DeploymentJsonContext.Default.CreateDeploymentRequest)!;
        Assert.Equal(AfterAction.Reboot, request.After);
        Assert.Null(request.TargetDisk);
        Assert.Equal("all", request.Machines[0]);
    }

    [Fact]
    public void Enum_UnknownValue_Throws()
    {
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize("{\"kind\":\"everything\",\"value\":null}", DeploymentJsonContext.Default.TargetDiskRule));
    }

    [Theory]
    [InlineData("52:54:00:AB:cd:EF", "52:54:00:ab:cd:ef")]
    [InlineData("52-54-00-ab-cd-ef", "52:54:00:ab:cd:ef")]
    public void MacAddress_Valid_Normalized(string input, string expected)
    {
        Assert.True(MacAddress.TryNormalize(input, out var mac));
        Assert.Equal(expected, mac);
    }

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:ab:cd")]
    [InlineData("52:54-00:ab:cd:ef")]
    [InlineData("52:54:00:ab:cd:eg")]
    [InlineData("../../etc/passwd")]
    [InlineData(null)]
    public void MacAddress_Invalid_Rejected(string? input)
    {
        Assert.False(MacAddress.TryNormalize(input, out _));
    }
}
