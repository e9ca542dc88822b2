using System;

namespace ModelCompiler.Fuzz.Mutations;

/// <summary>Flips 1 to 16 random bits anywhere in the file (protobuf tags, lengths, varints, weights).</summary>
internal sealed class BitFlip : Mutation
{
    public override string Kind => "bitflip";
    public override string Summary => "flip 1-16 random bits of the file";

    public override bool Apply(Subject s, Rng rng)
    {
        var bytes = (byte[])s.Bytes.Clone();
        if (bytes.Length == 0) return false;
        int flips = rng.Between(1, 16);
        // Half the time aim at the first 4 KiB, where the graph structure of most models is (weights come after).
        int range = rng.Chance(0.5) ? Math.Min(bytes.Length, 4096) : bytes.Length;
        for (int i = 0; i < flips; i++)
        {
            int at = rng.Below(range), bit = rng.Below(8);
            bytes[at] ^= (byte)(1 << bit);
            s.Log.Add($"flip bit {bit} of byte {at}");
        }
        s.Bytes = bytes;
        return true;
    }
}

/// <summary>Cuts the file short (an interrupted download or copy).</summary>
internal sealed class Truncate : Mutation
{
    public override string Kind => "truncate";
    public override string Summary => "cut the file at a random length";

    public override bool Apply(Subject s, Rng rng)
    {
        var bytes = s.Bytes;
        if (bytes.Length < 2) return false;
        int length = rng.Chance(0.3) ? rng.Below(Math.Min(bytes.Length, 256)) : rng.Below(bytes.Length);
        s.Bytes = bytes.AsSpan(0, length).ToArray();
        s.Log.Add($"truncate {bytes.Length} bytes to {length}");
        return true;
    }
}

/// <summary>Overwrites a few bytes with boundary values (0x00, 0xFF, 0x7F, 0x80) or random ones.</summary>
internal sealed class OverwriteBytes : Mutation
{
    private static readonly byte[] s_values = { 0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE };

    public override string Kind => "bytes";
    public override string Summary => "overwrite 1-8 byte runs with 0x00/0xFF/0x7F/0x80 or random bytes";

    public override bool Apply(Subject s, Rng rng)
    {
        var bytes = (byte[])s.Bytes.Clone();
        if (bytes.Length == 0) return false;
        int runs = rng.Between(1, 8);
        for (int r = 0; r < runs; r++)
        {
            int at = rng.Below(Math.Min(bytes.Length, rng.Chance(0.5) ? 4096 : bytes.Length));
            int length = Math.Min(rng.Between(1, 8), bytes.Length - at);
            byte value = rng.Chance(0.7) ? rng.Pick(s_values) : (byte)rng.Next();
            for (int i = 0; i < length; i++) bytes[at + i] = value;
            s.Log.Add($"set bytes {at}..{at + length - 1} to 0x{value:X2}");
        }
        s.Bytes = bytes;
        return true;
    }
}
