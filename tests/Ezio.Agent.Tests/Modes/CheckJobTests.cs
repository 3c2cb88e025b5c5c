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

    private static readonly string[] s_own = [Samples.Mac];

    private static void Check(Ezio.Deployment.Contracts.Job job, string mac, AgentOptions options) =>
        CheckingMode.CheckJob(job, mac, options, Samples.Now, s_own);

    [Fact]
    public void CheckJob_SignedByTrustedKey_Passes()
    {
        using var key = JobSigner.CreateKey();
        Check(JobSigner.Sign(Samples.Job(), key), Samples.Mac, Trusting(key));
    }

    [Fact]
    public void CheckJob_UnsignedWithTrustedKey_Refused()
    {
        using var key = JobSigner.CreateKey();
        var e = Assert.Throws<JobRefusedException>(() => Check(Samples.Job(), Samples.Mac, Trusting(key)));
        Assert.Equal(RefusalReason.Unsigned, e.Reason);
    }

    [Fact]
    public void CheckJob_ForgedOrTampered_Refused()
    {
        using var trusted = JobSigner.CreateKey();
        using var other = JobSigner.CreateKey();
        var options = Trusting(trusted);
        Assert.Equal(RefusalReason.BadSignature, Assert.Throws<JobRefusedException>(() => Check(JobSigner.Sign(Samples.Job(), other), Samples.Mac, options)).Reason);
        var tampered = JobSigner.Sign(Samples.Job(), trusted) with { ImageSizeBytes = 1 };
        Assert.Equal(RefusalReason.BadSignature, Assert.Throws<JobRefusedException>(() => Check(tampered, Samples.Mac, options)).Reason);
    }

    [Fact]
    public void CheckJob_NoTrustedKey_AcceptsUnsigned_ButNotAnotherMachinesJob()
    {
        var options = new AgentOptions { TrustedKey = Path.Combine(_dir, "absent.pub") };
        Check(Samples.Job(), Samples.Mac, options);
        Assert.Equal(RefusalReason.WrongMachine, Assert.Throws<JobRefusedException>(() => Check(Samples.Job(), "02:00:00:00:00:99", options)).Reason);
    }

    [Fact]
    public void CheckJob_OtherJobName_Refused()
    {
        var options = new AgentOptions { TrustedKey = Path.Combine(_dir, "absent.pub"), Job = "other-image" };
        Assert.Equal(RefusalReason.WrongJob, Assert.Throws<JobRefusedException>(() => Check(Samples.Job(), Samples.Mac, options)).Reason);
    }

    [Fact]
    public void CheckJob_TrustedKey_OldFutureDatedOrForeignMac_Refused()
    {
        using var key = JobSigner.CreateKey();
        var options = Trusting(key);
        Ezio.Deployment.Contracts.Job Signed(Func<Ezio.Deployment.Contracts.Job, Ezio.Deployment.Contracts.Job> change) => JobSigner.Sign(change(Samples.Job()), key);

        // Just inside the window and the skew: accepted.
        Check(Signed(j => j with { IssuedAt = Samples.Now.AddHours(-24).AddSeconds(1) }), Samples.Mac, options);
        Check(Signed(j => j with { IssuedAt = Samples.Now.AddSeconds(299) }), Samples.Mac, options);

        Assert.Equal(RefusalReason.Expired, Assert.Throws<JobRefusedException>(() => Check(Signed(j => j with { IssuedAt = new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero) }), Samples.Mac, options)).Reason);
        Assert.Equal(RefusalReason.Expired, Assert.Throws<JobRefusedException>(() => Check(Signed(j => j with { IssuedAt = Samples.Now.AddHours(-24).AddSeconds(-1) }), Samples.Mac, options)).Reason);
        Assert.Equal(RefusalReason.FutureDated, Assert.Throws<JobRefusedException>(() => Check(Signed(j => j with { IssuedAt = Samples.Now.AddMinutes(6) }), Samples.Mac, options)).Reason);
        // A correctly signed job for a MAC that no interface of this machine has.
        const string foreign = "02:00:00:00:00:77";
        var e = Assert.Throws<JobRefusedException>(() => CheckingMode.CheckJob(Signed(j => j with { Mac = foreign }), foreign, options, Samples.Now, s_own));
        Assert.Equal(RefusalReason.WrongMachine, e.Reason);
        Assert.StartsWith("wrong-machine: ", e.ReportText, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckJob_WindowFromOptions_AndConfiguredMacCountsAsOwn()
    {
        const string configured = "02:00:00:00:00:88";
        var options = new AgentOptions { TrustedKey = Path.Combine(_dir, "absent.pub"), JobMaxAgeHours = 1, Mac = configured };
        Assert.Equal(RefusalReason.Expired, Assert.Throws<JobRefusedException>(() => Check(Samples.Job() with { IssuedAt = Samples.Now.AddHours(-2) }, Samples.Mac, options)).Reason);
        CheckingMode.CheckJob(Samples.Job() with { Mac = configured }, configured, options, Samples.Now, s_own);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
