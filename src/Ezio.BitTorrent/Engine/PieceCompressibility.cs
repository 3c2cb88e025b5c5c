namespace Ezio.BitTorrent.Engine;

/// <summary>What compressing a piece on the fly showed; remembered per piece so a piece that does not compress is not tried again.</summary>
internal enum PieceCompressibility : byte
{
    Untried,
    Compresses,
    Incompressible,
}
