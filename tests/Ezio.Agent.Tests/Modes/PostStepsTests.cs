using Ezio.Agent.Modes;
using Xunit;

namespace Ezio.Agent.Tests.Modes;

/// <summary>The hostname post-step's file work on a directory standing in for the mounted root.</summary>
public sealed class PostStepsTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("ezio-root-test-").FullName;

    private string Etc(string name) => Path.Combine(_root, "etc", name);

    [Fact]
    public void WriteInto_LinuxRoot_WritesHostnameAndHosts()
    {
        Directory.CreateDirectory(Path.Combine(_root, "etc"));
        File.WriteAllText(Etc("hostname"), "debian\n");
        File.WriteAllText(Etc("hosts"), "127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n");

        var written = PostStepsMode.WriteInto(_root, "lab-pc-07");

        Assert.Equal("/etc/hostname and /etc/hosts", written);
        Assert.Equal("lab-pc-07\n", File.ReadAllText(Etc("hostname")));
        Assert.Equal("127.0.0.1\tlocalhost\n127.0.1.1\tlab-pc-07\n", File.ReadAllText(Etc("hosts")));
    }

    [Fact]
    public void WriteInto_NoEtc_ReturnsNullWritesNothing()
    {
        Directory.CreateDirectory(Path.Combine(_root, "boot"));

        Assert.Null(PostStepsMode.WriteInto(_root, "pc1"));
        Assert.False(Directory.Exists(Path.Combine(_root, "etc")));
    }

    [Fact]
    public void WriteInto_EtcIsASymlinkOutOfTheMount_IsNotARoot()
    {
        var outside = Directory.CreateTempSubdirectory("ezio-outside-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "hostname"), "live\n");
            Directory.CreateSymbolicLink(Path.Combine(_root, "etc"), outside);

            Assert.Null(PostStepsMode.WriteInto(_root, "pc1"));
            Assert.Equal("live\n", File.ReadAllText(Path.Combine(outside, "hostname")));
        }
        finally
        {
            Directory.Delete(outside, recursive: true);
        }
    }

    [Fact]
    public void WriteInto_HostnameIsASymlink_ReplacesTheLinkNotItsTarget()
    {
        var outside = Path.Combine(Directory.CreateTempSubdirectory("ezio-outside-").FullName, "hostname");
        try
        {
            File.WriteAllText(outside, "live\n");
            Directory.CreateDirectory(Path.Combine(_root, "etc"));
            File.WriteAllText(Etc("passwd"), "root:x:0:0::/root:/bin/sh\n");
            File.CreateSymbolicLink(Etc("hostname"), outside);

            Assert.NotNull(PostStepsMode.WriteInto(_root, "pc1"));
            Assert.Equal("live\n", File.ReadAllText(outside));
            Assert.Null(new FileInfo(Etc("hostname")).LinkTarget);
            Assert.Equal("pc1\n", File.ReadAllText(Etc("hostname")));
            Assert.Contains("127.0.1.1\tpc1", File.ReadAllText(Etc("hosts")));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(outside)!, recursive: true);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
