using System.Text;

namespace Ezio.BitTorrent.Tests.Metainfo;

/// <summary>Hand-written torrents; piece hashes are filler, the parser does not check them.</summary>
internal static class TorrentText
{
    public static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    public static string Pieces(int count) => $"{count * 20}:{new string('h', count * 20)}";

    /// <summary>100 bytes in 64-byte pieces: two pieces.</summary>
    public const string SingleInfo = "d6:lengthi100e4:name5:a.txt12:piece lengthi64e6:pieces40:" +
        "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhe";

    public static string MultiInfo(string files, int pieceCount, string extra = "") =>
        $"d5:filesl{files}e4:name3:dir12:piece lengthi64e6:pieces{Pieces(pieceCount)}{extra}e";

    public static string File(long length, params string[] segments) =>
        $"d6:lengthi{length}e4:pathl{string.Concat(segments.Select(s => $"{Encoding.UTF8.GetByteCount(s)}:{s}"))}ee";

    public static byte[] Wrap(string info, string before = "8:announce13:http://t/anno") =>
        B($"d{before}4:info{info}e");
}
