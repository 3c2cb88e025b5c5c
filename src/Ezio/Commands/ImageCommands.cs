using System.Diagnostics;
using Ezio.BitTorrent.Metainfo;
using Ezio.Cli;
using Ezio.Imaging;
using Ezio.Imaging.Build;
using Ezio.Imaging.Capture;
using Ezio.Imaging.Clonezilla;
using Ezio.Imaging.Partclone;
using Ezio.Imaging.Store;

namespace Ezio.Commands;

internal static class ImageCommands
{
    public const string Usage = """
        ezio image import <clonezilla-image-dir> <repo>/<name> [--piece-size N] [--level N] [--announce URL]... [--btzone DIR] [--disk NAME] [--allow-partial]
        ezio image capture <block-device-or-disk-file> <repo>/<name> [--piece-size N] [--level N] [--announce URL]...
        ezio image info <image-dir>
        ezio image verify <image-dir>
        ezio image export-web <image-dir> [--output FILE] [--web-seed URL]...
        """;

    private const string BuildHelp = """

          Writes <repo>/<name>/: image.json (manifest), <name>.torrent (one torrent for the whole
          disk, files named by their 32-hex disk offset) and pieces.ezp (each piece zstd-compressed
          on its own, all-zero pieces only marked), in one streaming pass. A Clonezilla image
          of several disks becomes one image and one torrent (disk k from offset k * 2^56).
            --piece-size N   piece length (power of two from 16K); default 1-16 MiB for <= 8000 pieces
            --level N        zstd level for the pieces (1-19, default 9: compressed once here,
                             sent to every machine of every deployment; decompressing is
                             as fast as at level 3, and the pieces are ~6 % smaller)
            --announce URL   tracker to write into the torrent (repeatable)
            --compact        shrink ext2/3/4 and NTFS file systems to their minimum on a temporary
                             copy (resize2fs -M, ntfsresize), so the image deploys to disks
                             smaller than the source too; the agent grows them after writing
            --temp DIR       where --compact keeps its copies (default: the output directory)
            --btzone DIR     import only: also write Clonezilla's BitTorrent layout to DIR/<image>/
                             (per partition: 32-hex slice files, <part>.torrent.info and
                             <part>.torrent with 16 MiB pieces), as ocs-gen-bt-slices would
            --disk NAME      import only: of a Clonezilla image of several disks (disk file
                             "sda sdb"), import the disk NAME alone
            --allow-partial  import only: when the Clonezilla image also holds what Ezio cannot
                             restore (ntfsclone, partimage, LUKS, a thin pool, a missing volume
                             of a split set, an unknown file), import the rest; image.json and
                             'image info' name the partitions left empty. Without it such an
                             import fails, naming every such file.
        """;

    private static readonly string[] BuildValues = ["--piece-size", "--level", "--announce", "--btzone", "--disk", "--temp"];

    public static Task<int> RunAsync(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h")
        {
            Console.WriteLine(Usage);
            return Task.FromResult(args.Length == 0 ? 2 : 0);
        }
        return Task.FromResult(args[0] switch
        {
            "import" => Build(args[1..], capture: false),
            "capture" => Build(args[1..], capture: true),
            "info" => Info(args[1..]),
            "verify" => Verify(args[1..]),
            "export-web" => ExportWeb(args[1..]),
            _ => throw new UsageException($"unknown image command '{args[0]}'. Usage:\n{Usage}"),
        });
    }

    private static int Build(string[] args, bool capture)
    {
        string usage = capture
            ? "ezio image capture <block-device-or-disk-file> <repo>/<name>"
            : "ezio image import <clonezilla-image-dir> <repo>/<name>";
        var cl = CommandLine.Parse(args, BuildValues, ["--allow-partial", "--compact"]);
        if (cl.Help)
        {
            Console.WriteLine(usage + BuildHelp);
            return 0;
        }
        cl.ExpectPositionals(2, usage);
        long pieceSize = cl.Value("--piece-size") is { } text ? CommandLine.ParseSize("--piece-size", text) : 0;
        if (pieceSize != 0 && (pieceSize < TorrentBuilder.MinPieceLength || pieceSize > Torrent.MaxPieceLength || (pieceSize & (pieceSize - 1)) != 0))
        {
            throw new UsageException($"--piece-size must be a power of two from 16 KiB to 256 MiB, not {pieceSize}.");
        }
        string output = cl.Positionals[1];
        if (File.Exists(Path.Combine(output, EzioImage.ManifestFileName)))
        {
            throw new UsageException($"{output} already holds an image; choose another name.");
        }
        var watch = Stopwatch.StartNew();
        var options = new ImageBuildOptions
        {
            PieceLength = (int)pieceSize,
            CompressionLevel = cl.Int("--level", ImageBuildOptions.DefaultCompressionLevel, 1, 19),
            Announce = cl.Values("--announce"),
            Progress = new StderrProgress(watch),
            BtzoneDirectory = cl.Value("--btzone"),
            Disk = cl.Value("--disk"),
            AllowPartial = cl.Flag("--allow-partial"),
            Compact = cl.Flag("--compact"),
            TemporaryDirectory = cl.Value("--temp"),
        };
        if (capture && (options.BtzoneDirectory is not null || options.AllowPartial))
        {
            throw new UsageException("--btzone and --allow-partial apply to 'ezio image import' only.");
        }
        if (capture && options.Disk is not null)
        {
            throw new UsageException("--disk applies to 'ezio image import' only.");
        }
        using var cts = new CancellationTokenSource();
        using var signals = Common.OnStopSignal(cts);
        ImageManifest manifest;
        try
        {
            manifest = capture
                ? DiskCapture.Capture(cl.Positionals[0], output, options, cts.Token)
                : ClonezillaImporter.Import(cl.Positionals[0], output, options, cts.Token);
        }
        catch (Exception e) when (e is ImageException or PartcloneException)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine($"ezio: {(capture ? "capture" : "import")} failed: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        Console.Error.WriteLine();
        foreach (string file in manifest.NotImported ?? [])
        {
            Console.Error.WriteLine($"ezio: warning: not imported: {file}");
        }
        // A multi-disk image lists each disk's partitions under its disk.
        List<PartitionInfo> partitions = manifest.Disks is { } disks
            ? [.. disks.SelectMany(d => d.PartitionTable.Partitions)]
            : manifest.PartitionTable.Partitions;
        foreach (PartitionInfo p in partitions.Where(p => p.LeftEmpty is not null))
        {
            Console.Error.WriteLine($"ezio: warning: {p.Device} will be left empty: {p.LeftEmpty}");
        }
        foreach (LogicalVolumeInfo lv in partitions.SelectMany(p => p.LogicalVolumes ?? []).Where(l => l.LeftEmpty is not null))
        {
            Console.Error.WriteLine($"ezio: warning: logical volume {lv.Name} will be left empty: {lv.LeftEmpty}");
        }
        Console.WriteLine($"{output}: {Common.Size(manifest.TotalLength)} used in {manifest.PieceCount} pieces of {Common.Size(manifest.PieceLength)}, " +
            $"stored in {Common.Size(manifest.StoreBytes)}, info-hash {manifest.InfoHash} ({watch.Elapsed.TotalSeconds:F1} s)");
        return 0;
    }

    private static int Info(string[] args)
    {
        var cl = CommandLine.Parse(args, [], []);
        if (cl.Help)
        {
            Console.WriteLine("ezio image info <image-dir>\n  Prints the manifest: disk, partitions, boot area, torrent and store sizes.");
            return 0;
        }
        cl.ExpectPositionals(1, "ezio image info <image-dir>");
        ImageManifest m = LoadManifest(cl.Positionals[0]);
        Console.WriteLine($"name:         {m.Name}");
        Console.WriteLine($"source:       {m.Source}");
        Console.WriteLine($"created:      {m.Created:u}");
        if (m.Disks is { } disks)
        {
            // A multi-disk image: each disk with its base in the torrent's address space.
            foreach (ImageDisk d in disks)
            {
                Console.WriteLine($"disk {d.Name}:{new string(' ', Math.Max(1, 8 - d.Name.Length))}base 0x{d.Base:x}, used {Common.Size(d.UsedBytes)}");
                PrintDisk(d.DiskSize, d.LogicalSectorSize, d.PartitionTable, d.BootArea);
            }
        }
        else
        {
            PrintDisk(m.DiskSize, m.LogicalSectorSize, m.PartitionTable, m.BootArea);
            // The source disk's size and the smallest disk a resizing deployment accepts.
            Console.WriteLine($"source disk:  {m.DiskSize} bytes ({Common.Size(m.DiskSize)})");
            Console.WriteLine(m.MinimumDiskSize > 0
                ? $"minimum disk: {m.MinimumDiskSize} bytes ({Common.Size(m.MinimumDiskSize)})"
                : "minimum disk: the source disk's size (this image is not laid out anew)");
            string resizable = string.Join(", ", m.PartitionTable.Partitions.Where(p => p.Resizable)
                .Select(p => $"{p.Device} ({p.FileSystem}, at least {Common.Size(p.MinimumBytes)}{(p.Compacted == true ? ", compacted" : "")})"));
            Console.WriteLine($"resizable:    {(resizable.Length == 0 ? "none" : resizable)}");
        }
        foreach (string file in m.NotImported ?? [])
        {
            Console.WriteLine($"not imported: {file}");
        }
        Console.WriteLine($"torrent:      {m.Torrent}");
        Console.WriteLine($"info-hash:    {m.InfoHash}");
        Console.WriteLine($"used:         {m.TotalLength} bytes ({Common.Size(m.TotalLength)}) in {m.PieceCount} pieces of {Common.Size(m.PieceLength)}");
        Console.WriteLine($"stored:       {m.StoreBytes} bytes ({Common.Size(m.StoreBytes)})");
        return 0;
    }

    private static void PrintDisk(long diskSize, int sectorSize, PartitionTableInfo table, List<BootExtent> bootArea)
    {
        Console.WriteLine($"disk size:    {diskSize} bytes ({Common.Size(diskSize)}), {sectorSize}-byte sectors");
        Console.WriteLine($"table:        {table.Label}");
        foreach (PartitionInfo p in table.Partitions)
        {
            Console.WriteLine($"  {p.Number,3} {p.Device,-12} start {p.Start,12} size {p.Size,12}  {p.FileSystem ?? "-",-8} {p.Content,-9} used {Common.Size(p.UsedBytes)}");
            foreach (LogicalVolumeInfo lv in p.LogicalVolumes ?? [])
            {
                Console.WriteLine($"      LV {lv.Name,-24} size {Common.Size(lv.Size),10}  {lv.FileSystem ?? "-",-8} {lv.Content,-9} used {Common.Size(lv.UsedBytes)}" +
                    (lv.LeftEmpty is null ? "" : $"  LEFT EMPTY: {lv.LeftEmpty}"));
            }
            if (p.LeftEmpty is not null)
            {
                Console.WriteLine($"      LEFT EMPTY: {p.LeftEmpty}");
            }
        }
        foreach (BootExtent b in bootArea)
        {
            Console.WriteLine($"boot area:    {b.What} at {b.Offset}, {b.Length} bytes");
        }
    }

    private static int Verify(string[] args)
    {
        var cl = CommandLine.Parse(args, [], []);
        if (cl.Help)
        {
            Console.WriteLine("ezio image verify <image-dir>\n  Re-hashes every piece of pieces.ezp against the torrent; exit 1 when any is bad.");
            return 0;
        }
        cl.ExpectPositionals(1, "ezio image verify <image-dir>");
        string dir = cl.Positionals[0];
        ImageManifest m = LoadManifest(dir);
        var torrent = Torrent.Load(Path.Combine(dir, m.Torrent));
        using PieceStore store = OpenStore(dir);
        if (!store.InfoHash.Span.SequenceEqual(torrent.InfoHash.ToArray()) || store.PieceCount != torrent.PieceCount || store.PieceLength != torrent.PieceLength)
        {
            Console.Error.WriteLine($"ezio: {dir}: pieces.ezp was not written for {m.Torrent}.");
            return 1;
        }
        var buffer = new byte[store.PieceLength];
        int bad = 0;
        for (int i = 0; i < store.PieceCount; i++)
        {
            Span<byte> piece = buffer.AsSpan(0, store.LengthOf(i));
            try
            {
                store.ReadPiece(i, piece);
            }
            catch (ImageException e)
            {
                Console.Error.WriteLine($"ezio: piece {i}: {e.Message}");
                bad++;
                continue;
            }
            if (!torrent.VerifyPiece(i, piece))
            {
                Console.Error.WriteLine($"ezio: piece {i} does not match its hash.");
                bad++;
            }
        }
        Console.WriteLine(bad == 0 ? $"{dir}: all {store.PieceCount} pieces are good." : $"{dir}: {bad} of {store.PieceCount} pieces are bad.");
        return bad == 0 ? 0 : 1;
    }

    private const string ExportWebUsage = "ezio image export-web <image-dir> [--output FILE] [--web-seed URL]...";

    private const string ExportWebHelp = ExportWebUsage + """


          Writes the image's web seed payload (docs/web-seeds.md): one file of the torrent's
          bytes in order, all-zero pieces left as holes, every piece checked against the torrent.
          Put it on any HTTP server that answers range requests (nginx, an object store); the
          machines fetch pieces from it and verify each before it goes to disk.
            --output FILE    where to write it (default <image-dir>/payload.bin)
            --web-seed URL   where the payload will be served; recorded in image.json
                             ("webSeeds", repeatable), and ezio-server hands it to the machines
                             in the torrent's url-list
        """;

    private static int ExportWeb(string[] args)
    {
        var cl = CommandLine.Parse(args, ["--output", "--web-seed"], []);
        if (cl.Help)
        {
            Console.WriteLine(ExportWebHelp);
            return 0;
        }
        cl.ExpectPositionals(1, ExportWebUsage);
        string dir = cl.Positionals[0];
        var webSeeds = Common.ParseWebSeeds(cl.Values("--web-seed"));
        string output = cl.Value("--output") ?? Path.Combine(dir, WebPayload.FileName);
        ImageManifest m = LoadManifest(dir);
        var torrent = Torrent.Load(Path.Combine(dir, m.Torrent));
        using PieceStore store = OpenStore(dir);
        var watch = Stopwatch.StartNew();
        try
        {
            WebPayload.Export(store, torrent, output, new StderrProgress(watch));
        }
        catch (ImageException e)
        {
            Console.Error.WriteLine();
            Console.Error.WriteLine($"ezio: {dir}: {e.Message}");
            return 1;
        }
        Console.Error.WriteLine();
        if (webSeeds.Count > 0)
        {
            m.WebSeeds = [.. (m.WebSeeds ?? []).Concat(webSeeds.Select(u => u.AbsoluteUri)).Distinct(StringComparer.Ordinal)];
            m.Save(Path.Combine(dir, EzioImage.ManifestFileName));
        }
        Console.WriteLine($"{output}: {Common.Size(torrent.TotalLength)} in {torrent.PieceCount} pieces of {Common.Size(torrent.PieceLength)}{(m.WebSeeds is { Count: > 0 } seeds ? "; web seeds: " + string.Join(' ', seeds) : "")}");
        return 0;
    }

    private static ImageManifest LoadManifest(string dir)
    {
        string path = Path.Combine(dir, EzioImage.ManifestFileName);
        if (!File.Exists(path))
        {
            throw new UsageException($"{dir} is not an Ezio image (no {EzioImage.ManifestFileName}).");
        }
        try
        {
            return ImageManifest.Load(path);
        }
        catch (ImageException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static PieceStore OpenStore(string dir)
    {
        try
        {
            return PieceStore.Open(Path.Combine(dir, EzioImage.PieceStoreFileName));
        }
        catch (Exception e) when (e is ImageException or IOException)
        {
            throw new UsageException($"{dir}: {e.Message}");
        }
    }

    /// <summary>One progress line on stderr, redrawn at most twice a second.</summary>
    private sealed class StderrProgress(Stopwatch watch) : IProgress<BuildProgress>
    {
        private long _lastDraw = -1000;

        public void Report(BuildProgress value)
        {
            long now = watch.ElapsedMilliseconds;
            if (now - _lastDraw < 500 && value.Done != value.Total)
            {
                return;
            }
            _lastDraw = now;
            double seconds = Math.Max(0.001, watch.Elapsed.TotalSeconds);
            Console.Error.Write($"\r{value.What}: {Common.Size(value.Done)} of {Common.Size(value.Total)} " +
                $"({100.0 * value.Done / Math.Max(1, value.Total):F0}%), {Common.Size((long)(value.Done / seconds))}/s   ");
        }
    }
}
