using Ezio.Agent.Disks;
using Ezio.Agent.Modes;
using Ezio.Agent.Status;
using Ezio.Deployment.Signing;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace Ezio.Agent.Tests.Modes;

/// <summary>
/// A correctly signed job that is too old, dated in the future, or for a MAC this machine does
/// not have is refused by the checking mode before anything is written: the target disk keeps
/// every byte and the agent's state directory (resume markers) is not even created.
/// </summary>
public sealed class RefusedJobTests : IDisposable
{
    private const string Foreign = "02:00:00:00:00:77";
    private readonly string _dir = Directory.CreateTempSubdirectory("ezio-agent-refused-").FullName;

    [Theory]
    [InlineData("old", "Expired")]
    [InlineData("future", "FutureDated")]
    [InlineData("foreign-mac", "WrongMachine")]
    public async Task Checking_SignedButRefusedJob_WritesNothing(string kind, string expected)
    {
        var reason = Enum.Parse<RefusalReason>(expected);
        using var key = JobSigner.CreateKey();
        var trusted = Path.Combine(_dir, "trusted.pub");
        await File.WriteAllTextAsync(trusted, key.ExportSubjectPublicKeyInfoPem());
        var disk = Path.Combine(_dir, "disk.img");
        var before = System.Security.Cryptography.RandomNumberGenerator.GetBytes(1 << 20);
        await File.WriteAllBytesAsync(disk, before);
        var state = Path.Combine(_dir, "state");
        var job = kind switch
        {
            "old" => Samples.Job() with { IssuedAt = new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero) },
            "future" => Samples.Job() with { IssuedAt = Samples.Now.AddDays(2) },
            _ => Samples.Job() with { Mac = Foreign },
        };
        // The MAC the agent registered with is the job's; for the foreign job no interface has it.
        var options = new AgentOptions { TrustedKey = trusted, Disk = disk, StateDir = state, Mac = kind == "foreign-mac" ? null : Samples.Mac };
        await using var context = new AgentContext(options, new AgentStatus(), NullLogger.Instance, new FixedClock(Samples.Now),
            new DiskInventory(Path.Combine(_dir, "sys"), Path.Combine(_dir, "dev"), Path.Combine(_dir, "udev")))
        {
            Mac = job.Mac,
            Job = JobSigner.Sign(job, key),
        };

        var e = await Assert.ThrowsAsync<JobRefusedException>(() => new CheckingMode().RunAsync(context, CancellationToken.None));

        Assert.Equal(reason, e.Reason);
        Assert.Equal(before, await File.ReadAllBytesAsync(disk));
        Assert.False(Directory.Exists(state));
        Assert.Null(context.Disk);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
