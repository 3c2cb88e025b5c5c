using System.Text;
using Ezio.Server.BootFiles;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Server.Tests.BootFiles;

/// <summary>
/// The newc writer against GNU cpio (Debian package cpio): what it writes extracts with
/// `cpio -i` to the same names, bytes and modes, and an archive appended to an initrd starts
/// at the 4-byte boundary where the kernel looks for the next one.
/// </summary>
public sealed class NewcArchiveTests
{
    private const UnixFileMode Dir = (UnixFileMode)0x1ED; // 0755
    private const UnixFileMode Readable = (UnixFileMode)0x1A4; // 0644
    private const UnixFileMode Private = (UnixFileMode)0x180; // 0600

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void RoundTripsThroughCpio()
    {
        var dirs = new TestDirs();
        var key = Encoding.ASCII.GetBytes("-----BEGIN PUBLIC KEY-----\nabc\n-----END PUBLIC KEY-----\n");
        var odd = new byte[] { 1, 2, 3, 4, 5 };
        var archive = NewcArchive.Write([
            NewcArchive.Entry.Directory("etc", Dir),
            NewcArchive.Entry.Directory("etc/ezio", Dir),
            NewcArchive.Entry.File("etc/ezio/trusted.pub", Readable, key),
            NewcArchive.Entry.File("etc/ezio/odd-name.bin", Private, odd),
            NewcArchive.Entry.File("empty", Readable, []),
        ]);
        Assert.Equal(0, archive.Length % 4);

        var listing = Cpio(dirs.Root, archive, "-t");
        Assert.Equal(["etc", "etc/ezio", "etc/ezio/trusted.pub", "etc/ezio/odd-name.bin", "empty"], listing.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var into = Path.Combine(dirs.Root, "x");
        Directory.CreateDirectory(into);
        Cpio(into, archive, "-idm", "--no-absolute-filenames");
        Assert.Equal(key, File.ReadAllBytes(Path.Combine(into, "etc/ezio/trusted.pub")));
        Assert.Equal(odd, File.ReadAllBytes(Path.Combine(into, "etc/ezio/odd-name.bin")));
        Assert.Empty(File.ReadAllBytes(Path.Combine(into, "empty")));
        Assert.Equal(Readable, File.GetUnixFileMode(Path.Combine(into, "etc/ezio/trusted.pub")));
        Assert.Equal(Private, File.GetUnixFileMode(Path.Combine(into, "etc/ezio/odd-name.bin")));
        Assert.Equal(Dir, File.GetUnixFileMode(Path.Combine(into, "etc/ezio")));

        // The same entries give the same bytes (setup compares the initrd it makes with the last one).
        Assert.Equal(archive, NewcArchive.Write([
            NewcArchive.Entry.Directory("etc", Dir),
            NewcArchive.Entry.Directory("etc/ezio", Dir),
            NewcArchive.Entry.File("etc/ezio/trusted.pub", Readable, key),
            NewcArchive.Entry.File("etc/ezio/odd-name.bin", Private, odd),
            NewcArchive.Entry.File("empty", Readable, []),
        ]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(1001)]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public void AppendsAtTheNextFourByteBoundaryAfterZeros(int initrdLength)
    {
        var dirs = new TestDirs();
        var initrd = Path.Combine(dirs.Root, "initrd.img");
        var packaged = new byte[initrdLength];
        Random.Shared.NextBytes(packaged);
        if (initrdLength > 0)
        {
            packaged[^1] = 0xFF; // not a zero the padding could hide
        }
        File.WriteAllBytes(initrd, packaged);
        var key = Encoding.ASCII.GetBytes("key\n");

        var baked = Path.Combine(dirs.Root, "baked.img");
        NewcArchive.AppendTo(initrd, baked, [NewcArchive.Entry.File("etc/ezio/trusted.pub", Readable, key)]);

        var bytes = File.ReadAllBytes(baked);
        var offset = (initrdLength + 3) / 4 * 4;
        Assert.Equal(packaged, bytes[..initrdLength]);
        Assert.All(bytes[initrdLength..offset], b => Assert.Equal(0, b));
        Assert.Equal("070701", Encoding.ASCII.GetString(bytes, offset, 6));
        Assert.Equal(packaged, File.ReadAllBytes(initrd));

        var into = Path.Combine(dirs.Root, "x");
        Directory.CreateDirectory(into);
        Cpio(into, bytes[offset..], "-idm", "--no-absolute-filenames");
        Assert.Equal(key, File.ReadAllBytes(Path.Combine(into, "etc/ezio/trusted.pub")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/etc/ezio/trusted.pub")]
    [InlineData("etc/../trusted.pub")]
    [InlineData("etc//trusted.pub")]
    [InlineData("./etc")]
    [InlineData("etc/\n")]
    [InlineData("TRAILER!!!")]
    public void RefusesNamesThatAreNotPlainRelativePaths(string name)
    {
        Assert.Throws<ArgumentException>(() => NewcArchive.Write([NewcArchive.Entry.File(name, Readable, [1])]));
    }

    /// <summary>Runs cpio in <paramref name="directory"/> with <paramref name="input"/> on stdin; its stdout.</summary>
    internal static string Cpio(string directory, byte[] input, params string[] args)
    {
        var result = Shell.TryRun("cpio", ["--quiet", .. args], Tools.Timeout, directory, input);
        Assert.True(result.ExitCode == 0, $"cpio {string.Join(' ', args)}: {result.Stderr}");
        Assert.Equal("", result.Stderr);
        return result.Stdout;
    }
}
