using Ezio.BitTorrent.Storage;
using Ezio.Storage.Tests.TestSupport;
using Tmds.Linux;
using Xunit;

namespace Ezio.Storage.Tests;

/// <summary>
/// verify and seed open their target read-only and never change it; a write target under
/// /dev must be an existing block device; verify reads with O_DIRECT where it can.
/// </summary>
public sealed class ReadOnlyTargetTests
{
    private static readonly RawTargetOptions s_readOnly = new() { ReadOnly = true };
    private static readonly DateTime s_past = new(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);

    [Fact]
    public void ReadOnly_ShortFile_NeitherExtendedNorWritten()
    {
        using var temp = new TempDirectory();
        var scenario = new RawTargetScenario();
        string target = temp.File("short.img");
        byte[] original = scenario.Pattern[..(1 << 20)];
        File.WriteAllBytes(target, original);
        File.SetLastWriteTimeUtc(target, s_past);

        using (var storage = RawTargetStorage.Open(target, scenario.Map, s_readOnly))
        {
            Assert.True(storage.IsReadOnly);
            Assert.Equal(1 << 20, storage.TargetSize);
            Assert.True(storage.TargetEnd > storage.TargetSize);
            // The first extent lies inside the file; the last one past its end.
            var head = new byte[4096];
            storage.Read(0, head);
            Assert.Equal(original.AsSpan(0, 4096).ToArray(), head);
            Assert.Throws<StorageException>(() => storage.Read(scenario.TotalLength - 4096, new byte[4096]));
            Assert.Throws<StorageException>(() => storage.Write(0, new byte[4096]));
            storage.Flush();
        }

        Assert.Equal(original.Length, new FileInfo(target).Length);
        Assert.Equal(s_past, File.GetLastWriteTimeUtc(target));
        Assert.Equal(original, File.ReadAllBytes(target));
    }

    [Fact]
    public void ReadOnly_MissingFile_NotCreated()
    {
        using var temp = new TempDirectory();
        string target = temp.File("missing.img");
        Assert.Throws<StorageException>(() => RawTargetStorage.Open(target, new RawTargetScenario().Map, s_readOnly));
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void ReadOnly_FilesLayoutWithShortAndMissingFiles_NothingCreatedOrExtended()
    {
        using var temp = new TempDirectory();
        string root = temp.CreateSubdirectory("release");
        File.WriteAllBytes(Path.Combine(root, "a.bin"), new byte[1000]);
        File.SetLastWriteTimeUtc(Path.Combine(root, "a.bin"), s_past);
        var files = TorrentFiles.Named(("a.bin", 5000), ("sub/b.bin", 3000));

        using (var storage = TargetStorage.Open(root, files, 8000, isMultiFile: true, StorageLayout.Files, s_readOnly))
        {
            Assert.True(storage.MayHaveData);
            var first = new byte[1000];
            storage.Read(0, first);
            Assert.Throws<StorageException>(() => storage.Read(0, new byte[5000]));
            Assert.Throws<StorageException>(() => storage.Read(5000, new byte[3000]));
            Assert.Throws<StorageException>(() => storage.Write(0, new byte[1000]));
            storage.Flush();
        }

        Assert.Equal(1000, new FileInfo(Path.Combine(root, "a.bin")).Length);
        Assert.Equal(s_past, File.GetLastWriteTimeUtc(Path.Combine(root, "a.bin")));
        Assert.False(Directory.Exists(Path.Combine(root, "sub")));
    }

    [Theory]
    [InlineData(StorageLayout.Auto)]
    [InlineData(StorageLayout.Offsets)]
    public void Open_MissingPathUnderDev_RefusedNothingCreated(StorageLayout layout)
    {
        string target = "/dev/ezio-no-such-" + Guid.NewGuid().ToString("N")[..8];
        var files = TorrentFiles.Offsets((0, 4096), (1 << 20, 4096));
        var e = Assert.Throws<TargetRefusedException>(() => TargetStorage.Open(target, files, 8192, isMultiFile: true, layout));
        Assert.Equal(TargetRefusalReason.NotADevice, e.Reason);
        Assert.Contains("does not exist", e.Message);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Open_MissingPathUnderDevForPlainTorrent_RefusedNothingCreated()
    {
        // A single-file torrent that is not a disk image would have become a file in /dev.
        string target = "/dev/loop-ezio-" + Guid.NewGuid().ToString("N")[..8] + "p1";
        var files = TorrentFiles.Named(("image.bin", 20_000_000));
        var e = Assert.Throws<TargetRefusedException>(() => TargetStorage.Open(target, files, 20_000_000, isMultiFile: false, StorageLayout.Auto));
        Assert.Equal(TargetRefusalReason.NotADevice, e.Reason);
        Assert.False(File.Exists(target));
    }

    [BlockDeviceFact]
    public void Open_RegularFileUnderDev_RefusedUnchanged()
    {
        string target = "/dev/ezio-file-" + Guid.NewGuid().ToString("N")[..8];
        File.WriteAllBytes(target, [1, 2, 3]);
        try
        {
            var files = TorrentFiles.Offsets((0, 4096));
            var e = Assert.Throws<TargetRefusedException>(() => TargetStorage.Open(target, files, 4096, isMultiFile: true, StorageLayout.Auto));
            Assert.Equal(TargetRefusalReason.NotADevice, e.Reason);
            Assert.Contains("regular file", e.Message);
            Assert.Equal([1, 2, 3], File.ReadAllBytes(target));
            // Asked for explicitly, a file there is fine.
            using (TargetStorage.Open(target, files, 4096, isMultiFile: true, StorageLayout.Auto, new RawTargetOptions { AllowFileUnderDev = true }))
            {
            }
        }
        finally
        {
            File.Delete(target);
        }
    }

    [Fact]
    public void DirectReads_RegularFile_SameBytesAsTheFile()
    {
        using var temp = new TempDirectory();
        var scenario = new RawTargetScenario();
        string target = temp.File("disk.img");
        File.WriteAllBytes(target, scenario.Expected());

        using var storage = RawTargetStorage.Open(target, scenario.Map, new RawTargetOptions { ReadOnly = true, DirectReads = true });
        scenario.AssertReadBackEqualsData(storage);
        Assert.Equal(0, storage.DirectReadFallbacks);
        Assert.Equal(storage.ReadsDirect, DirectFlags(target).Any(f => (f & LibC.O_DIRECT) != 0));
    }

    /// <summary>The open-file flags (/proc/self/fdinfo, octal) of every descriptor of this process on <paramref name="path"/>.</summary>
    internal static List<int> DirectFlags(string path)
    {
        var flags = new List<int>();
        foreach (string fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            string? link;
            try
            {
                link = new FileInfo(fd).LinkTarget;
            }
            catch (IOException)
            {
                continue;
            }
            if (link != path)
            {
                continue;
            }
            string info;
            try
            {
                info = File.ReadAllText(Path.Combine("/proc/self/fdinfo", Path.GetFileName(fd)));
            }
            catch (IOException)
            {
                continue;
            }
            foreach (string line in info.Split('\n'))
            {
                if (line.StartsWith("flags:", StringComparison.Ordinal))
                {
                    flags.Add(Convert.ToInt32(line[6..].Trim(), 8));
                }
            }
        }
        return flags;
    }
}

/// <summary>verify's O_DIRECT reads on a real loop device.</summary>
[Collection(BlockDeviceCollection.Name)]
public sealed class DirectReadBlockDeviceTests
{
    [BlockDeviceFact]
    public void DirectReads_LoopDevice_ReadOnlyODirectDescriptorAndDeviceBytes()
    {
        using var temp = new TempDirectory();
        var scenario = new RawTargetScenario();
        string backing = temp.File("disk.img");
        File.WriteAllBytes(backing, scenario.Expected());
        using var loop = LoopDevice.Attach(backing);

        using var storage = RawTargetStorage.Open(loop.Path, scenario.Map, new RawTargetOptions { ReadOnly = true, DirectReads = true });
        Assert.True(storage.ReadsDirect);
        var flags = ReadOnlyTargetTests.DirectFlags(loop.Path);
        Assert.Contains(flags, f => (f & LibC.O_DIRECT) != 0 && (f & LibC.O_ACCMODE) == LibC.O_RDONLY);
        Assert.DoesNotContain(flags, f => (f & LibC.O_ACCMODE) != LibC.O_RDONLY);
        scenario.AssertReadBackEqualsData(storage);
        Assert.Equal(0, storage.DirectReadFallbacks);
        Assert.Equal(scenario.Expected(), loop.ReadAll(RawTargetScenario.TargetSize));
    }

    [BlockDeviceFact]
    public void ReadOnly_LoopDevice_NoExclusiveClaim()
    {
        using var temp = new TempDirectory();
        var scenario = new RawTargetScenario();
        string backing = temp.File("disk.img");
        File.WriteAllBytes(backing, scenario.Expected());
        using var loop = LoopDevice.Attach(backing);

        // The writer holds the exclusive claim; a verifier opens beside it.
        using var writer = RawTargetStorage.Open(loop.Path, scenario.Map);
        using var reader = RawTargetStorage.Open(loop.Path, scenario.Map, new RawTargetOptions { ReadOnly = true, DirectReads = true });
        scenario.AssertReadBackEqualsData(reader);
    }
}
