using Ezio.Deployment.Signing;
using Xunit;

namespace Ezio.Deployment.Tests.Signing;

public sealed class JobSignerTests
{
    [Fact]
    public void Verify_SignedJob_True()
    {
        using var key = JobSigner.CreateKey();
        var signed = JobSigner.Sign(Samples.Job(), key);
        Assert.NotNull(signed.Signature);
        Assert.True(JobSigner.Verify(signed, key.ExportSubjectPublicKeyInfoPem()));
    }

    [Fact]
    public void Verify_AfterPrivateKeyPemRoundTrip_True()
    {
        using var key = JobSigner.CreateKey();
        using var loaded = JobSigner.LoadPrivateKey(key.ExportPkcs8PrivateKeyPem());
        var signed = JobSigner.Sign(Samples.Job(), loaded);
        Assert.True(JobSigner.Verify(signed, key));
    }

    [Fact]
    public void Verify_ForgedField_False()
    {
        using var key = JobSigner.CreateKey();
        var signed = JobSigner.Sign(Samples.Job(), key);
        var forged = signed with { TargetDisk = signed.TargetDisk with { Value = "/dev/sdb" } };
        Assert.False(JobSigner.Verify(forged, key.ExportSubjectPublicKeyInfoPem()));
        Assert.False(JobSigner.Verify(signed with { Mac = "52:54:00:00:00:01" }, key));
    }

    [Fact]
    public void Sign_Trackers_CoveredWhenSetAbsentWhenNot()
    {
        using var key = JobSigner.CreateKey();
        // Unset, the field is not written: a job signs the same bytes as before it existed.
        Assert.DoesNotContain("trackers", System.Text.Encoding.UTF8.GetString(JobSigner.CanonicalBytes(Samples.Job())));
        var signed = JobSigner.Sign(Samples.Job() with { Trackers = ["http://10.0.9.1:6969/announce"] }, key);
        Assert.True(JobSigner.Verify(signed, key));
        Assert.False(JobSigner.Verify(signed with { Trackers = ["http://10.6.6.6:6969/announce"] }, key));
        Assert.False(JobSigner.Verify(signed with { Trackers = null }, key));
    }

    [Fact]
    public void Verify_OtherKey_False()
    {
        using var key = JobSigner.CreateKey();
        using var other = JobSigner.CreateKey();
        var signed = JobSigner.Sign(Samples.Job(), key);
        Assert.False(JobSigner.Verify(signed, other.ExportSubjectPublicKeyInfoPem()));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("AAAA")]
    public void Verify_UnsignedOrGarbage_False(string? signature)
    {
        using var key = JobSigner.CreateKey();
        Assert.False(JobSigner.Verify(Samples.Job() with { Signature = signature }, key));
    }

    [Fact]
    public void Verify_BadPem_False()
    {
        using var key = JobSigner.CreateKey();
        Assert.False(JobSigner.Verify(JobSigner.Sign(Samples.Job(), key), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"));
    }

    [Fact]
    public void CanonicalBytes_IgnoresSignature()
    {
        using var key = JobSigner.CreateKey();
        var job = Samples.Job();
        Assert.Equal(JobSigner.CanonicalBytes(job), JobSigner.CanonicalBytes(JobSigner.Sign(job, key)));
    }
}
