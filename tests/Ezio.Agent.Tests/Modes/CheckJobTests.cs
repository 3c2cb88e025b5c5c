using Ezio.Agent.Disks;
using Ezio.Agent.Modes;
using Ezio.Deployment.Signing;
using Xunit;

namespace Ezio.Agent.Tests.Modes;

public sealed class CheckJobTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("ezio-agent-key-").FullName;

    private AgentOptions Trusting(System.Security.Cryptography.ECDsa key)
    {
        var path = Path.Combine(_dir, "trusted.pub");
        File.WriteAllText(path, key.ExportSubjectPublicKeyInfoPem());
        return new AgentOptions { TrustedKey = path };
    }

    [Fact]
    public void CheckJob_SignedByTrustedKey_Passes()
    {
        using var key = JobSigner.CreateKey();
        CheckingMode.CheckJob(JobSigner.Sign(Samples.Job(), key), Samples.Mac, Trusting(key));
    }

    [Fact]
    public void CheckJob_UnsignedWithTrustedKey_Refused()
    {
        using var key = JobSigner.CreateKey();
        var e = Assert.Throws<JobRefusedException>(() => CheckingMode.CheckJob(Samples.Job(), Samples.Mac, Trusting(key)));
        Assert.Equal(RefusalReason.Unsigned, e.Reason);
    }

    [Fact]
    public void CheckJob_ForgedOrTampered_Refused()
    {
        using var trusted = JobSigner.CreateKey();
        using var other = JobSigner.CreateKey();
        var options = Trusting(trusted);
        Assert.Equal(RefusalReason.BadSignature, Assert.Throws<JobRefusedException>(() => CheckingMode.CheckJob(JobSigner.Sign(Samples.Job(), other), Samples.Mac, options)).Reason);
        var tampered = JobSigner.Sign(Samples.Job(), trusted) with { ImageSizeBytes = 1 };
        Assert.Equal(RefusalReason.BadSignature, Assert.Throws<JobRefusedException>(() => CheckingMode.CheckJob(tampered, Samples.Mac, options)).Reason);
    }

    [Fact]
    public void CheckJob_NoTrustedKey_AcceptsUnsigned_ButNotAnotherMachinesJob()
    {
        var options = new AgentOptions { TrustedKey = Path.Combine(_dir, "absent.pub") };
        CheckingMode.CheckJob(Samples.Job(), Samples.Mac, options);
        Assert.Equal(RefusalReason.WrongMachine, Assert.Throws<JobRefusedException>(() => CheckingMode.CheckJob(Samples.Job(), "02:00:00:00:00:99", options)).Reason);
    }

    [Fact]
    public void CheckJob_OtherJobName_Refused()
    {
        var options = new AgentOptions { TrustedKey = Path.Combine(_dir, "absent.pub"), Job = "other-image" };
        Assert.Equal(RefusalReason.WrongJob, Assert.Throws<JobRefusedException>(() => CheckingMode.CheckJob(Samples.Job(), Samples.Mac, options)).Reason);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
