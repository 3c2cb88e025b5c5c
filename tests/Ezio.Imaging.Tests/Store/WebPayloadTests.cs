using System.Security.Cryptography;
using Ezio.BitTorrent.Metainfo;
using Ezio.Imaging.Store;
using Xunit;

namespace Ezio.Imaging.Tests.Store;

public sealed class WebPayloadTests
{
    private const int PieceLength = 64 * 1024;

    [Fact]
    public void Export_MixedPieces_IsTheTorrentBytesInOrderWithZeroPiecesAsHoles()
    {
        using var temp = new TempDirectory();
        // Piece 0 text, 1-4 zeros, 5 random, 6 a short tail.
        var data = new byte[6L * PieceLength + 999];
        for (var i = 0; i < PieceLength; i++)
        {
            data[i] = (byte)"web seed "[i % 9];
        }
        RandomNumberGenerator.Fill(data.AsSpan(5 * PieceLength));
        var torrent = TorrentFor(data);
        var store = WriteStore(temp.File("pieces.ezp"), data, torrent);
        var output = temp.File(WebPayload.FileName);

        using (store)
        {
            WebPayload.Export(store, torrent, output);
        }

        Assert.Equal(data, File.ReadAllBytes(output));
        Assert.False(File.Exists(output + ".partial"));
        // Four zero pieces (256 KiB) were never written: the file holds fewer blocks than bytes.
        var allocated = long.Parse(Shell.Run("stat", "-c", "%b", output)) * 512;
        Assert.True(allocated <= data.Length - 3L * PieceLength, $"{allocated} bytes allocated for {data.Length}");
    }

    [Fact]
    public void Export_StoreOfAnotherTorrent_RefusedAndNothingWritten()
    {
        using var temp = new TempDirectory();
        var data = RandomNumberGenerator.GetBytes(3 * PieceLength);
        var other = RandomNumberGenerator.GetBytes(3 * PieceLength);
        var output = temp.File(WebPayload.FileName);
        using var store = WriteStore(temp.File("pieces.ezp"), data, TorrentFor(data));

        var e = Assert.Throws<ImageException>(() => WebPayload.Export(store, TorrentFor(other), output));

        Assert.Contains("another torrent", e.Message);
        Assert.False(File.Exists(output));
        Assert.False(File.Exists(output + ".partial"));
    }

    private static Torrent TorrentFor(byte[] data) =>
        Torrent.Parse(TorrentBuilder.Create("disk", [(["00000000000000000000000000000000"], data.LongLength)],
            (offset, destination) => data.AsSpan((int)offset, destination.Length).CopyTo(destination),
            new TorrentBuildOptions { PieceLength = PieceLength }));

    private static PieceStore WriteStore(string path, byte[] data, Torrent torrent)
    {
        using (var writer = new PieceStoreWriter(path, PieceLength, data.Length))
        {
            for (long at = 0; at < data.Length; at += PieceLength)
            {
                writer.Add(data.AsSpan((int)at, (int)Math.Min(PieceLength, data.Length - at)));
            }
            writer.Complete(torrent.InfoHash.ToArray());
        }
        return PieceStore.Open(path);
    }
}
