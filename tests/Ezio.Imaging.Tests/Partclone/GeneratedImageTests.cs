using System.Security.Cryptography;
using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Partclone;
using Ezio.Imaging.Tests.TestSupport;
using Xunit;

namespace Ezio.Imaging.Tests.Partclone;

/// <summary>Images made by Debian's partclone in several option sets and compressions, read back.</summary>
public sealed class GeneratedImageTests
{
    [ToolTheory(false, "mkfs.ext4", "partclone.ext4", "pigz", "zstd", "xz")]
    [InlineData("-a0", "gz", PartcloneChecksumMode.None)]
    [InlineData("-k 7 -K", "zst", PartcloneChecksumMode.Crc32)]
    [InlineData("-z 10485760", "xz", PartcloneChecksumMode.Crc32)]
    [InlineData("-a1", "zst", PartcloneChecksumMode.Crc32)]
    public void ReadRun_GeneratedExt4_YieldsTheFileSystemsUsedBlocks(string options, string compression, PartcloneChecksumMode mode)
    {
        using var temp = new TempDirectory();
        string content = temp.File("content");
        Directory.CreateDirectory(Path.Combine(content, "docs"));
        for (int i = 0; i < 5; i++)
        {
            File.WriteAllBytes(Path.Combine(content, $"blob{i}.bin"), RandomNumberGenerator.GetBytes(300_000 + i * 5000));
            File.WriteAllText(Path.Combine(content, "docs", $"note{i}.txt"), string.Concat(Enumerable.Repeat($"note {i}\n", 5000)));
        }
        string fs = temp.File("fs.img");
        Shell.Run("mkfs.ext4", "-F", "-q", "-b", "4096", "-d", content, fs, "24M");
        string ptcl = temp.File("fs.ptcl");
        Shell.Run("partclone.ext4", ["-c", "-q", "-L", temp.File("log"), .. options.Split(' '), "-s", fs, "-o", ptcl], stdoutFile: null);
        string compressed = temp.File("fs.ptcl." + compression);
        string tool = compression switch { "gz" => "pigz", "zst" => "zstd", _ => "xz" };
        Shell.Run(tool, ["-c", ptcl], stdoutFile: compressed);
        TestDisk.Split(compressed);

        string[] chunks = Directory.GetFiles(temp.Path, "fs.ptcl." + compression + ".*").Order(StringComparer.Ordinal).ToArray();
        Assert.True(chunks.Length > 1);
        byte[] image = File.ReadAllBytes(fs);
        using var reader = PartcloneReader.Open(ImageStreams.OpenDecompressed(chunks));
        Assert.Equal(mode, reader.Header.ChecksumMode);
        Assert.Equal(new FileInfo(ptcl).Length, reader.Header.ExpectedStreamLength);
        var buffer = new byte[1 << 20];
        long blocks = 0;
        int n;
        while ((n = reader.ReadRun(buffer, out long first)) > 0)
        {
            Assert.True(buffer.AsSpan(0, n * 4096).SequenceEqual(image.AsSpan((int)(first * 4096), n * 4096)), $"blocks {first}+{n}");
            blocks += n;
        }
        Assert.Equal(reader.Header.UsedBlocks, blocks);
    }
}
