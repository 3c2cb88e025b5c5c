using System.Globalization;
using Ezio.Deploy.Tests.Infrastructure;

namespace Ezio.Deploy.Tests.Commands;

/// <summary>
/// `ezio get` and `ezio verify` with --layout relocated: an image of a 96 MiB GPT disk (a fixed
/// 8 MiB partition, two resizable ones) onto loop disks larger and smaller than it, whose own
/// tables put partitions 2 and 3 elsewhere. The torrent's extents land inside the partitions of
/// the same numbers; a changed byte in a relocated partition is exactly one bad piece, which a
/// second get fetches alone; the disk seeds through the same mapping; a disk the image does not fit is refused with nothing written.
/// </summary>
public sealed class RelocatedLayoutTests
{
    private const int PieceSize = 256 * 1024;
    private const int Sector = 512;
    private const long MiB = 1 << 20;

    /// <summary>The image's disk: (number, start, size) in sectors.</summary>
    private static readonly (int Number, long Start, long Size)[] s_source = [(1, 2048, 16384), (2, 18432, 65536), (3, 83968, 81920)];

    /// <summary>Partition 3's data reaches 13 MiB + 4 KiB into it.</summary>
    private static SliceImage Image() => SliceImage.Create("disk", seed: 0x7e10,
        (0, 440),
        (1 * MiB, (int)MiB),
        (9 * MiB, 2 * (int)MiB),
        ((14 * MiB) + 4096, 700_001),
        (41 * MiB, (int)MiB),
        (51 * MiB, (3 * (int)MiB) + 4096));

    [DeployFact("ezio,libtorrent,losetup,sfdisk")]
    public async Task GetAndVerify_LargerDisk_PartitionsMovedBack_OneCorruptedBlockIsOnePieceFetchedAlone()
    {
        using var scratch = new TempDirectory();
        // Partition 2 doubled, partition 3 moved 32 MiB further; image.json beside the torrent.
        var layout = new[] { (1, 2048L, 16384L), (2, 18432L, 131072L), (3, 149504L, 77824L) };
        await using var run = await Setup.CreateAsync(scratch, 160 * MiB, layout, imageBesideTorrent: true);

        using (var get = EzioCli.StartGetFrom(run.Torrent, run.Device.Path, run.Port, "--layout", "relocated"))
        {
            Assert.True(await get.WaitForExitAsync() == 0, get.Output);
        }
        run.AssertRelocated();
        await run.AssertVerifyAsync(0, "--layout", "relocated");

        // One byte 2 MiB into partition 3's second extent (source offset 53 MiB).
        long source = 53 * MiB;
        run.Corrupt(source);
        int piece = run.PieceOf(source);
        await run.AssertVerifyAsync(1, [piece], "--layout", "relocated");

        // A second get keeps every good piece and fetches the bad one alone.
        using (var again = EzioCli.StartGetFrom(run.Torrent, run.Device.Path, run.Port, "--layout", "relocated"))
        {
            Assert.True(await again.WaitForExitAsync() == 0, again.Output);
            Assert.Equal(PieceSize, EzioCli.FetchedBytes(again));
        }
        run.AssertRelocated();
        await run.AssertVerifyAsync(0, "--layout", "relocated");

        // The relocated disk seeds the image's own layout: a get from it into a plain disk file.
        int port = FreePort.Next();
        using var seeder = await EzioCli.StartSeedAsync(run.Torrent, run.Device.Path, port, "--layout", "relocated");
        string copy = scratch["copy.img"];
        using (var fromDisk = EzioCli.StartGetFrom(run.Torrent, copy, port))
        {
            Assert.True(await fromDisk.WaitForExitAsync() == 0, fromDisk.Output + "\nSEEDER:\n" + seeder.Output);
        }
        var (plain, plainRun) = await EzioCli.RunAsync("verify", run.Torrent, copy);
        using (plainRun)
        {
            Assert.True(plain == 0, plainRun.Output);
        }
    }

    [DeployFact("ezio,libtorrent,losetup,sfdisk")]
    public async Task GetAndVerify_SmallerDisk_PartitionsShrunk_OneCorruptedBlockListedAsItsPiece()
    {
        using var scratch = new TempDirectory();
        // Partition 2 down to 18 MiB, partition 3 moved 14 MiB nearer the start and shrunk to 36 MiB.
        var layout = new[] { (1, 2048L, 16384L), (2, 18432L, 36864L), (3, 55296L, 73728L) };
        await using var run = await Setup.CreateAsync(scratch, 64 * MiB, layout, imageBesideTorrent: false);

        using (var get = EzioCli.StartGetFrom(run.Torrent, run.Device.Path, run.Port, "--image", run.ImageDirectory))
        {
            Assert.True(await get.WaitForExitAsync() == 0, get.Output);
        }
        run.AssertRelocated();
        await run.AssertVerifyAsync(0, "--image", run.ImageDirectory);
        // The image's own layout does not see it: partition 3's data is 14 MiB away from there.
        var (plain, plainRun) = await EzioCli.RunAsync("verify", run.Torrent, run.Device.Path);
        using (plainRun)
        {
            Assert.True(plain == 1, plainRun.Output);
        }

        // One byte inside partition 2's odd-length extent (source offset 14 MiB + 4 KiB + 300000).
        long source = (14 * MiB) + 4096 + 300_000;
        run.Corrupt(source);
        await run.AssertVerifyAsync(1, [run.PieceOf(source)], "--image", Path.Combine(run.ImageDirectory, "image.json"));
    }

    [DeployFact("ezio,losetup,sfdisk")]
    public async Task GetAndVerify_DiskTheImageDoesNotFit_RefusedNamingWhy_NothingWritten()
    {
        using var scratch = new TempDirectory();
        await using var run = await Setup.CreateAsync(scratch, 64 * MiB, [(1, 2048L, 16384L), (2, 18432L, 36864L), (3, 55296L, 16384L)],
            imageBesideTorrent: false, seed: false);

        // Partition 3 of 8 MiB: the image's data in it reaches 13 MiB + 4 KiB, its file system 16 MiB.
        await run.AssertRefusedAsync("Partition 3 holds data up to byte", writing: "its partition 3 has 8388608 bytes but the image's needs at least 16777216");
        // 14 MiB holds the data, but not the file system's 16 MiB: only a write is refused.
        run.Partition("gpt", [(1, 2048L, 16384L), (2, 18432L, 36864L), (3, 55296L, 28672L)]);
        await run.AssertRefusedAsync(null, writing: "its partition 3 has 14680064 bytes but the image's needs at least 16777216");
        // No partition 3 at all.
        run.Partition("gpt", [(1, 2048L, 16384L), (2, 18432L, 36864L)]);
        await run.AssertRefusedAsync("has no partition 3");
        // A DOS table where the image's is GPT.
        run.Partition("dos", [(1, 2048L, 16384L), (2, 18432L, 36864L), (3, 55296L, 73728L)]);
        await run.AssertRefusedAsync("has a dos partition table but the image's is gpt");
    }

    /// <summary>A torrent of <see cref="Image"/>, its image.json, a partitioned loop disk and (optionally) a libtorrent seeder.</summary>
    private sealed class Setup : IAsyncDisposable
    {
        private readonly SliceImage _image = Image();
        private readonly ChildProcess? _seeder;
        private (int Number, long Start, long Size)[] _layout;

        private Setup(LoopDevice device, string torrent, string imageDirectory, (int, long, long)[] layout, ChildProcess? seeder, int port)
        {
            Device = device;
            Torrent = torrent;
            ImageDirectory = imageDirectory;
            _layout = layout;
            _seeder = seeder;
            Port = port;
        }

        public LoopDevice Device { get; }

        public string Torrent { get; }

        public string ImageDirectory { get; }

        public int Port { get; }

        public static async Task<Setup> CreateAsync(TempDirectory scratch, long diskSize, (int, long, long)[] layout, bool imageBesideTorrent, bool seed = true)
        {
            var image = Image();
            string seedDir = scratch.CreateSubdirectory("seed");
            string torrent = scratch["t.torrent"];
            await EzioCli.CreateTorrentAsync(image.WriteSlices(seedDir), torrent, PieceSize);
            string imageDirectory = imageBesideTorrent ? Path.GetDirectoryName(torrent)! : scratch.CreateSubdirectory("image");
            File.WriteAllText(Path.Combine(imageDirectory, "image.json"), Manifest());

            var device = LoopDevice.Create(scratch["disk.img"], diskSize);
            ChildProcess? seeder = null;
            int port = 0;
            try
            {
                if (seed)
                {
                    port = FreePort.Next();
                    seeder = await Libtorrent.StartSeedAsync(torrent, seedDir, port);
                }
                var setup = new Setup(device, torrent, imageDirectory, layout, seeder, port);
                setup.Partition("gpt", layout);
                return setup;
            }
            catch
            {
                seeder?.Dispose();
                Forget(device);
                device.Dispose();
                throw;
            }
        }

        /// <summary>Writes a new table with sfdisk, without the kernel making partition nodes for it.</summary>
        public void Partition(string label, (int Number, long Start, long Size)[] layout)
        {
            _layout = layout;
            string script = Path.Combine(Path.GetDirectoryName(Torrent)!, "table.sfdisk");
            File.WriteAllLines(script, [$"label: {label}", .. layout.Select(p => string.Create(CultureInfo.InvariantCulture,
                $"start={p.Start}, size={p.Size}, type={(label == "gpt" ? "0FC63DAF-8483-4772-8E79-3D69D8477DE4" : "83")}"))]);
            Shell.Run("sfdisk", ["--quiet", "--wipe", "always", "--no-reread", "--no-tell-kernel", Device.Path], stdoutFile: null, stdinFile: script);
        }

        /// <summary>Where a byte at <paramref name="source"/> on the image's disk lies on this disk.</summary>
        public long Target(long source)
        {
            foreach (var (number, start, size) in s_source)
            {
                if (source >= start * Sector && source < (start + size) * Sector)
                {
                    var (_, placed, _) = _layout.Single(p => p.Number == number);
                    return source - (start * Sector) + (placed * Sector);
                }
            }
            return source;
        }

        public int PieceOf(long source)
        {
            long torrentOffset = 0;
            foreach (var (offset, data) in _image.Extents)
            {
                if (source >= offset && source < offset + data.Length)
                {
                    return (int)((torrentOffset + source - offset) / PieceSize);
                }
                torrentOffset += data.Length;
            }
            throw new ArgumentOutOfRangeException(nameof(source), "not inside an extent of the image");
        }

        public void Corrupt(long source)
        {
            long at = Target(source);
            byte original = Device.Read(at, 1)[0];
            Device.Write(at, [(byte)~original]);
        }

        /// <summary>Every extent byte for byte where its partition lies on this disk.</summary>
        public void AssertRelocated()
        {
            foreach (var (offset, data) in _image.Extents)
            {
                var actual = Device.Read(Target(offset), data.Length);
                Assert.True(actual.AsSpan().SequenceEqual(data), $"The extent at source 0x{offset:x} is not at 0x{Target(offset):x}.");
            }
        }

        public Task AssertVerifyAsync(int exitCode, params string[] options) => AssertVerifyAsync(exitCode, [], options);

        public async Task AssertVerifyAsync(int exitCode, int[] badPieces, params string[] options)
        {
            var (code, process) = await EzioCli.RunAsync(["verify", Torrent, Device.Path, "--list", .. options]);
            using (process)
            {
                Assert.True(code == exitCode, process.Output);
                var listed = process.Stdout.Split('\n').Where(l => l.StartsWith("bad piece ", StringComparison.Ordinal))
                    .Select(l => int.Parse(l["bad piece ".Length..], CultureInfo.InvariantCulture)).ToArray();
                Assert.Equal(badPieces, listed);
            }
        }

        /// <summary>
        /// get refuses with <paramref name="writing"/> (default <paramref name="why"/>) on stderr,
        /// verify with <paramref name="why"/> (null: verify reads, and finds the image's pieces);
        /// the disk hashes the same.
        /// </summary>
        public async Task AssertRefusedAsync(string? why, string? writing = null)
        {
            string before = Device.Sha256();
            var (code, get) = await EzioCli.RunAsync("get", Torrent, Device.Path, "--port", "0", "--seed-after", "none", "--image", ImageDirectory);
            using (get)
            {
                AssertRefused(code, get, writing ?? why!);
            }
            (code, var verify) = await EzioCli.RunAsync("verify", Torrent, Device.Path, "--image", ImageDirectory);
            using (verify)
            {
                if (why is null)
                {
                    Assert.True(code == 1, verify.Output);
                    Assert.DoesNotContain("refusing", verify.Stderr, StringComparison.Ordinal);
                }
                else
                {
                    AssertRefused(code, verify, why);
                }
            }
            Assert.Equal(before, Device.Sha256());
        }

        private void AssertRefused(int code, ChildProcess process, string why)
        {
            Assert.True(code == 2, $"exit {code}\n{process.Output}");
            Assert.Contains(why, process.Stderr, StringComparison.Ordinal);
            Assert.Contains("refusing " + Device.Path, process.Stderr, StringComparison.Ordinal);
        }

        public ValueTask DisposeAsync()
        {
            _seeder?.Dispose();
            Forget(Device);
            Device.Dispose();
            return ValueTask.CompletedTask;
        }

        /// <summary>Partitions the kernel may know of go before the loop device does.</summary>
        private static void Forget(LoopDevice device) => Shell.TryRun("partx", "-d", device.Path);

        /// <summary>image.json of the 96 MiB source disk: partition 1 fixed, 2 and 3 resizable down to 16 MiB.</summary>
        private static string Manifest()
        {
            var partitions = string.Join(",\n", s_source.Select(p => string.Create(CultureInfo.InvariantCulture,
                $$"""    {"number": {{p.Number}}, "start": {{p.Start}}, "size": {{p.Size}}, "type": "0FC63DAF-8483-4772-8E79-3D69D8477DE4", "resizable": {{(p.Number > 1 ? "true" : "false")}}, "minimumBytes": {{(p.Number > 1 ? 16 * MiB : p.Size * Sector)}}}""")));
            return string.Create(CultureInfo.InvariantCulture, $$$"""
                {"name": "relocated", "diskSize": {{{96 * MiB}}}, "logicalSectorSize": {{{Sector}}},
                 "partitionTable": {"label": "gpt", "partitions": [
                {{{partitions}}}
                 ]}}
                """);
        }
    }
}
