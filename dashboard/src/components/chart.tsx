import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  /** One value per time; null draws a gap (a bucket with nothing to measure). */
  values: Array<number | null>;
  /** Which of the theme's --chart-1…6 colours (1-based); by position when left out. */
  colour?: number;
}

interface ChartProps {
  /** What the chart shows, for screen readers (the canvas itself says nothing). */
  label: string;
  /** Unix seconds, one per bucket. */
  times: number[];
  series: ChartSeries[];
  format: (v: number) => string;
  /** Counts (requests, tokens): the axis steps by whole numbers, never 0.5 of a request. */
  integer?: boolean;
  height?: number;
}

const WHOLE_STEPS = Array.from({ length: 12 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();

/** Wide enough for the longest tick label, measured in the axis's own font. */
function axisSize(self: uPlot, values: string[] | null, axisIdx: number, cycleNum: number): number {
  const axis = self.axes[axisIdx] as uPlot.Axis & { _size?: number; font: [string, number] };
  if (cycleNum > 1 && axis._size) return axis._size;
  const longest = (values ?? []).reduce((a, v) => (v.length > a.length ? v : a), '');
  self.ctx.font = axis.font[0];
  const width = longest ? self.ctx.measureText(longest).width / uPlot.pxRatio : 0;
  return Math.ceil(width + Number(axis.ticks?.size ?? 10) + Number(axis.gap ?? 5) + 4);
}

function themeColours() {
  const css = getComputedStyle(document.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    lines: [1, 2, 3, 4, 5, 6].map((i) => v(`--chart-${i}`)),
    muted: v('--muted'),
    border: v('--border'),
  };
}

/** Changes whenever the colour scheme does (the toggle's data-theme, or the OS preference). */
function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((n) => n + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'] });
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    scheme.addEventListener('change', bump);
    return () => {
      observer.disconnect();
      scheme.removeEventListener('change', bump);
    };
  }, []);
  return version;
}

/**
 * A uPlot time-series chart that fills its container's width. It is rebuilt only when the set of
 * series or the colour scheme changes; new numbers for the same series are drawn into the same plot.
 */
export function Chart({ label, times, series, format, integer = false, height = 220 }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  // The axis and legend callbacks read the latest formatter without rebuilding the plot.
  const formatRef = useRef(format);
  formatRef.current = format;
  const data: uPlot.AlignedData = [times, ...series.map((s) => s.values)];
  const dataRef = useRef(data);
  dataRef.current = data;
  const theme = useThemeVersion();
  const shape = JSON.stringify(series.map((s) => [s.label, s.colour]));

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const colours = themeColours();
    const axis = {
      stroke: colours.muted,
      grid: { stroke: colours.border, width: 1 },
      ticks: { stroke: colours.border, width: 1 },
    };
    const dotted = (self: uPlot, i: number) => {
      const values = self.data[i] ?? [];
      return values.length <= 72 || values.some((v) => v == null);
    };
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        series: [
          {},
          ...series.map((s, i) => {
            const stroke = colours.lines[((s.colour ?? i + 1) - 1) % colours.lines.length]!;
            return {
              label: s.label,
              stroke,
              width: 2,
              // Isolated values between gaps are invisible as lines; dots keep them seen.
              points: { show: dotted, size: 5, fill: stroke },
              value: (_u: uPlot, v: number | null) => (v == null ? '—' : formatRef.current(v)),
            };
          }),
        ],
        axes: [
          axis,
          {
            ...axis,
            values: (_u: uPlot, splits: number[]) => splits.map((v) => formatRef.current(v)),
            size: axisSize,
            ...(integer ? { incrs: WHOLE_STEPS } : {}),
          },
        ],
        scales: {
          x: { time: true },
          // From zero, so a flat series reads as what it is rather than filling the height.
          y: { range: (_u, _min, max) => uPlot.rangeNum(0, max > 0 ? max : 1, 0.1, true) },
        },
        cursor: { drag: { x: false, y: false } },
      },
      dataRef.current,
      el,
    );
    u.root.querySelector('.u-wrap')?.setAttribute('role', 'img');
    u.root.querySelector('.u-wrap')?.setAttribute('aria-label', label);
    plot.current = u;
    let width = el.clientWidth;
    const resize = new ResizeObserver(() => {
      if (el.clientWidth === width) return;
      width = el.clientWidth;
      u.setSize({ width: Math.max(200, width), height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [shape, theme, height, label, integer]);

  useEffect(() => {
    plot.current?.setData(data);
  });

  return <div class="chart-box" ref={box} />;
}
