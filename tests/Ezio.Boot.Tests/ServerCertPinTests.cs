using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Ezio.TestKit.Files;
using Xunit;

namespace Ezio.Boot.Tests;

/// <summary>
/// `make image` pins the server's HTTPS certificate: live-build/agent-config.sh writes the
/// fingerprint that `ezio-server cert-fingerprint` prints (or the one of the certificate file)
/// into the image's /etc/ezio/agent.json, and refuses anything that is not a SHA-256.
/// </summary>
public sealed class ServerCertPinTests
{
    [Fact]
    public void AgentConfig_ServerCertificate_PinsTheFingerprintTheServerPrints()
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        string state = tmp.Combine("state");
        string printed = Repo.MustSucceed(Repo.Run(Repo.ServerBin, ["cert-fingerprint", "--state", state]), "cert-fingerprint").Stdout.Trim();
        string certPath = System.IO.Path.Combine(state, "https-cert.pem");
        string certText = File.ReadAllText(certPath);
        using (var certificate = X509Certificate2.CreateFromPem(certText))
        {
            Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(certificate.RawData)), printed);
        }
        // A second call reuses the pair.
        Assert.Equal(printed, Repo.MustSucceed(Repo.Run(Repo.ServerBin, ["cert-fingerprint", "--state", state]), "again").Stdout.Trim());
        Assert.Equal(certText, File.ReadAllText(certPath));

        string fromCert = tmp.Combine("a", "agent.json");
        Repo.MustSucceed(Repo.Bash("live-build/agent-config.sh", "--cert", certPath, "--out", fromCert), "agent-config --cert");
        Assert.Contains($"\"ServerCertSha256\": \"{printed}\"", File.ReadAllText(fromCert), StringComparison.Ordinal);

        string colons = string.Join(':', printed.ToUpperInvariant().Chunk(2).Select(c => new string(c)));
        string fromHex = tmp.Combine("b", "agent.json");
        Repo.MustSucceed(Repo.Bash("live-build/agent-config.sh", "--sha256", colons, "--out", fromHex), "agent-config --sha256");
        Assert.Equal(File.ReadAllText(fromCert), File.ReadAllText(fromHex));
    }

    [Theory]
    [InlineData("--sha256", "abc")]
    [InlineData("--sha256", "zz00000000000000000000000000000000000000000000000000000000000000")]
    [InlineData("--cert", "/nonexistent.pem")]
    [InlineData("--cert", "/etc/hostname")]
    public void AgentConfig_NotAFingerprint_RefusedAndWritesNothing(string option, string value)
    {
        using var tmp = new TempDirectory("ezio-boot-test-");
        string output = tmp.Combine("agent.json");
        var result = Repo.Bash("live-build/agent-config.sh", option, value, "--out", output);
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("agent-config:", result.Stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(output));
    }
}
