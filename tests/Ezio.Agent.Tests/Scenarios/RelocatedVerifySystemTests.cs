using Ezio.Agent.Modes;
using Ezio.Agent.Tests.TestSupport;
using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Build;
using Ezio.Imaging.Store;
using Ezio.Storage;
using Ezio.TestKit.Devices;
using Ezio.TestKit.Processes;
using Xunit;

namespace Ezio.Agent.Tests.Scenarios;

/// <summary>
/// `ezio verify --layout relocated` on disks laid out as the agent lays them out: the captured
/// image of <see cref="ResizeSystemTests"/> planned (<see cref="PartitionLayout.Plan"/>) onto a
/// smaller and a larger loop disk, its table rewritten (<see cref="ResizeJob.RewriteTable"/>),
/// its pieces written through <see cref="TargetStorage.OpenRelocated"/>. The CLI, reading the
/// disk's own table, finds every piece; the image's own layout does not; one changed byte in a
/// moved partition is exactly its piece.
/// </summary>
[Collection(SystemCollection.Name)]
public sealed class RelocatedVerifySystemTests
{
    private const long MiB = 1 << 20;

    [SystemFact]
    public void CapturedImage_LaidOutOnSmallerAndLargerDisks_CliVerifyFindsEveryPieceThroughTheDisksTable()
    {
        var root = Directory.CreateTempSubdirectory("ezio-relocated-verify-").FullName;
        try
        {
            var image = ResizeImage.Capture(root, "reloc");
            var directory = Path.Combine(root, "repo", "reloc");
            var torrentPath = Path.Combine(directory, image.Manifest.Torrent);
            var torrent = Torrent.Parse(File.ReadAllBytes(torrentPath));
            var sources = ResizeFacts.SourcePartitions(image.Manifest);
            foreach (var size in new[] { 154 * MiB, 512 * MiB })
            {
                using var disk = LoopDevice.CreateIn(root, size);
                try
                {
                    var layout = PartitionLayout.Plan(sources, 512, gpt: true, size, LayoutPolicy.Proportional);
                    Assert.Contains(layout, p => p.Moved);
                    Shell.RunWithInput(ResizeJob.RewriteTable(image.Manifest.PartitionTable.Sfdisk, layout), "sfdisk", "--quiet", "--no-reread", "--no-tell-kernel", disk.Path);
                    using (var store = PieceStoreStorage.Open(directory))
                    using (var target = TargetStorage.OpenRelocated(disk.Path, torrent, layout, 512))
                    {
                        var buffer = new byte[MiB];
                        for (long offset = 0; offset < torrent.TotalLength; offset += buffer.Length)
                        {
                            var chunk = buffer.AsSpan(0, (int)Math.Min(buffer.Length, torrent.TotalLength - offset));
                            store.Read(offset, chunk);
                            target.Write(offset, chunk);
                        }
                        target.Flush();
                    }

                    var (good, goodOutput) = Verify(torrentPath, disk, "--layout", "relocated", "--list");
                    Assert.True(good == 0, goodOutput);
                    Assert.Contains($" 0 bad of {torrent.PieceCount} pieces", goodOutput, StringComparison.Ordinal);
                    // The image's own layout: bad pieces on the larger disk, extents past the end of the smaller one.
                    var (plain, plainOutput) = Verify(torrentPath, disk);
                    Assert.True(plain == (size < image.Manifest.DiskSize ? 2 : 1), plainOutput);

                    // One byte of the data partition's first extent, where partition 3 lies on this disk.
                    var data = layout.Single(p => p.Number == 3);
                    var extent = OffsetLayout.Create(torrent.Files).Extents.First(e => e.TargetOffset >= data.SourceStart * 512);
                    var at = (data.Start * 512) + (extent.TargetOffset - (data.SourceStart * 512)) + 100;
                    var original = disk.Read(at, 1)[0];
                    using (var handle = File.OpenHandle(disk.Path, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
                    {
                        RandomAccess.Write(handle, new[] { (byte)~original }, at);
                        RandomAccess.FlushToDisk(handle);
                    }
                    Assert.NotEqual(original, disk.Read(at, 1)[0]);
                    var (bad, badOutput) = Verify(torrentPath, disk, "--image", directory, "--list");
                    Assert.True(bad == 1, badOutput);
                    var piece = (extent.TorrentOffset + 100) / torrent.PieceLength;
                    Assert.Equal([$"bad piece {piece}"], badOutput.Split('\n').Where(l => l.StartsWith("bad piece ", StringComparison.Ordinal)));
                }
                finally
                {
                    Shell.TryRun(TimeSpan.FromSeconds(30), "partx", "-d", disk.Path);
                }
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static (int Code, string Output) Verify(string torrent, LoopDevice disk, params string[] options)
    {
        var result = Shell.TryRun(TimeSpan.FromSeconds(120), Binaries.Agent, ["verify", torrent, disk.Path, .. options]);
        return (result.ExitCode, result.Output);
    }
}
