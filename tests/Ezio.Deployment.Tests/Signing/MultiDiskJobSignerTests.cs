using System.Text.Json;
using Ezio.Deployment.Contracts;
using Ezio.Deployment.Signing;
using Xunit;

namespace Ezio.Deployment.Tests.Signing;

/// <summary>A multi-disk job's disks and mapping travel in the JSON and are covered by the signature.</summary>
public sealed class MultiDiskJobSignerTests
{
    private static Job TwoDiskJob() => Samples.Job() with
    {
        Disks = [new JobDisk("sda", 64 << 20, 512, "label: gpt\n", "S1"), new JobDisk("sdb", 128 << 20, 512, "label: dos\n", "S2")],
        DiskMapping = DiskMapping.Serial,
    };

    [Fact]
    public void RoundTrip_TwoDiskJob_KeepsDisksAndMapping()
    {
        Job job = TwoDiskJob();

        Job back = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(job, DeploymentJsonContext.Default.Job), DeploymentJsonContext.Default.Job)!;

        Assert.Equal(job.Disks, back.Disks);
        Assert.Equal(DiskMapping.Serial, back.DiskMapping);
        Assert.Contains("\"diskMapping\":\"serial\"", System.Text.Encoding.UTF8.GetString(JobSigner.CanonicalBytes(job)));
    }

    [Fact]
    public void Verify_DiskSerialChangedAfterSigning_False()
    {
        using var key = JobSigner.CreateKey();
        Job signed = JobSigner.Sign(TwoDiskJob(), key);
        Job swapped = signed with { Disks = [signed.Disks![0] with { Serial = "S2" }, signed.Disks[1] with { Serial = "S1" }] };

        Assert.True(JobSigner.Verify(signed, key));
        Assert.False(JobSigner.Verify(swapped, key));
        Assert.False(JobSigner.Verify(signed with { DiskMapping = DiskMapping.Order }, key));
    }

    [Fact]
    public void Verify_TwoDiskJobWithMachineSecret_SignatureCoversBoth()
    {
        using var key = JobSigner.CreateKey();
        Job signed = JobSigner.Sign(TwoDiskJob() with { Secret = "machine-secret-1" }, key);

        string canonical = System.Text.Encoding.UTF8.GetString(JobSigner.CanonicalBytes(signed));
        Assert.Contains("\"secret\":\"machine-secret-1\"", canonical);
        Assert.Contains("\"disks\":[", canonical);
        Assert.True(JobSigner.Verify(signed, key));
        Assert.False(JobSigner.Verify(signed with { Secret = "machine-secret-2" }, key));
        Assert.False(JobSigner.Verify(signed with { Secret = null }, key));
        Assert.False(JobSigner.Verify(signed with { Disks = [signed.Disks![0]] }, key));
    }
}
