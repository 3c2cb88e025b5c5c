namespace Ezio.Sim;

/// <summary>One machine's link (bits per second each way) and fate.</summary>
/// <param name="DiesAtFraction">Fraction of the image after which the machine dies (power cut: silent), or null.</param>
public readonly record struct HostSpec(double UpBitsPerSecond, double DownBitsPerSecond, double? DiesAtFraction = null);
