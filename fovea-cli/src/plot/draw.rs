//! Drawing a [`PlotData`] with plotters: the motion path of the box centre over the keyframe
//! boxes (video coordinates, y downwards) above a timeline of keyframes, segment modes and
//! hidden ranges.

use fovea_core::model::InterpolationType;
use fovea_core::plot::PlotData;
use plotters::coord::Shift;
use plotters::prelude::*;

/// The font family every text is drawn in (registered by the caller).
pub const FAMILY: &str = "sans-serif";

type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

const PATH: RGBColor = RGBColor(214, 39, 40);
const BOX: RGBColor = RGBColor(31, 119, 180);
const VISIBLE: RGBColor = RGBColor(120, 190, 120);
const HIDDEN: RGBColor = RGBColor(190, 190, 190);

/// The colour of a segment mode in the timeline and its legend.
fn mode_colour(kind: &InterpolationType) -> RGBColor {
    match kind {
        InterpolationType::Linear => RGBColor(31, 119, 180),
        InterpolationType::Bezier => RGBColor(148, 103, 189),
        InterpolationType::EaseIn => RGBColor(255, 127, 14),
        InterpolationType::EaseOut => RGBColor(188, 189, 34),
        InterpolationType::EaseInOut => RGBColor(140, 86, 75),
        InterpolationType::Hold => RGBColor(127, 127, 127),
        InterpolationType::Parametric => RGBColor(44, 160, 44),
        InterpolationType::Other(_) => RGBColor(0, 0, 0),
    }
}

/// Draws the whole figure on `root`, titled `title`.
pub fn figure<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    data: &PlotData,
    title: &str,
) -> Drawn<DB> {
    root.fill(&WHITE)?;
    let titled = root.titled(title, (FAMILY, 20))?;
    let (top, bottom) = titled.split_vertically(titled.dim_in_pixel().1 * 62 / 100);
    motion_path(&top, data)?;
    timeline(&bottom, data)?;
    root.present()
}

/// The legend of a chart's labelled series, in its upper right corner.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
) -> Drawn<DB> {
    chart
        .configure_series_labels()
        .label_font((FAMILY, 12))
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .position(SeriesLabelPosition::UpperRight)
        .draw()
}

/// Padded bounds of `lo..hi`, never empty.
fn padded(lo: f64, hi: f64) -> (f64, f64) {
    let pad = ((hi - lo) * 0.05).max(1.0);
    (lo - pad, hi + pad)
}

fn motion_path<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, data: &PlotData) -> Drawn<DB> {
    let (x0, y0, x1, y1) = data.extent;
    let (x0, x1) = padded(x0, x1);
    let (y0, y1) = padded(y0, y1);
    // y runs downwards, as in the video.
    let mut chart = ChartBuilder::on(area)
        .caption("motion path of the box centre", (FAMILY, 15))
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(x0..x1, y1..y0)?;
    chart
        .configure_mesh()
        .x_desc("x (px)")
        .y_desc("y (px)")
        .x_label_formatter(&whole)
        .y_label_formatter(&whole)
        .label_style((FAMILY, 12))
        .draw()?;
    chart
        .draw_series(data.keyframes.iter().map(|k| {
            Rectangle::new(
                [(k.x, k.y), (k.x + k.width, k.y + k.height)],
                BOX.mix(0.5).stroke_width(1),
            )
        }))?
        .label("keyframe box")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], BOX.stroke_width(1)));
    for (i, run) in data.path.iter().enumerate() {
        let series = chart.draw_series(LineSeries::new(
            run.iter().map(|&(_, x, y)| (x, y)),
            PATH.stroke_width(2),
        ))?;
        if i == 0 {
            series
                .label("centre, visible frames")
                .legend(|(x, y)| PathElement::new([(x, y), (x + 12, y)], PATH.stroke_width(2)));
        }
    }
    chart.draw_series(data.keyframes.iter().map(|k| {
        let centre = (k.x + k.width / 2.0, k.y + k.height / 2.0);
        EmptyElement::at(centre)
            + Circle::new((0, 0), 4, BLACK.filled())
            + Text::new(format!("{}", k.frame_number), (6, -14), (FAMILY, 12))
    }))?;
    legend(&mut chart)
}

/// An axis label without decimals.
fn whole(v: &f64) -> String {
    format!("{v:.0}")
}

/// Row of each timeline lane (centred on integers; the y axis runs from -0.5 to 2.5).
const VISIBILITY_ROW: f64 = 0.0;
const SEGMENT_ROW: f64 = 1.0;
const KEYFRAME_ROW: f64 = 2.0;

fn lane_name(y: &f64) -> String {
    match y.round() as i64 {
        0 => "visibility".into(),
        1 => "segments".into(),
        2 => "keyframes".into(),
        _ => String::new(),
    }
}

fn timeline<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, data: &PlotData) -> Drawn<DB> {
    let (first, last) = (data.span.0 as f64, data.span.1 as f64);
    // Room on the right for the legend, so it covers no lane.
    let (f0, f1) = padded(first, last + (last - first) * 0.25);
    let mut chart = ChartBuilder::on(area)
        .caption(
            "timeline: keyframes, segment modes, hidden frames",
            (FAMILY, 15),
        )
        .margin(10)
        .x_label_area_size(35)
        .y_label_area_size(75)
        .build_cartesian_2d(f0..f1, -0.5..2.5)?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(3)
        .y_label_formatter(&lane_name)
        .x_desc("frame")
        .x_label_formatter(&whole)
        .label_style((FAMILY, 12))
        .draw()?;
    let lane = |row: f64, a: f64, b: f64| [(a, row - 0.3), (b + 1.0, row + 0.3)];
    chart
        .draw_series(std::iter::once(Rectangle::new(
            lane(VISIBILITY_ROW, first, last),
            VISIBLE.filled(),
        )))?
        .label("visible")
        .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], VISIBLE.filled()));
    if !data.hidden.is_empty() {
        chart
            .draw_series(data.hidden.iter().map(|&(a, b)| {
                Rectangle::new(lane(VISIBILITY_ROW, a as f64, b as f64), HIDDEN.filled())
            }))?
            .label("hidden")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], HIDDEN.filled()));
    }
    let mut modes: Vec<&InterpolationType> = Vec::new();
    for (_, _, kind) in &data.segments {
        if !modes.contains(&kind) {
            modes.push(kind);
        }
    }
    for kind in modes {
        let colour = mode_colour(kind);
        chart
            .draw_series(
                data.segments
                    .iter()
                    .filter(|s| &s.2 == kind)
                    .map(|&(a, b, _)| {
                        Rectangle::new(
                            [(a as f64, SEGMENT_ROW - 0.3), (b as f64, SEGMENT_ROW + 0.3)],
                            colour.filled(),
                        )
                    }),
            )?
            .label(kind.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.filled()));
    }
    chart.draw_series(data.keyframes.iter().map(|k| {
        let f = k.frame_number as f64;
        PathElement::new(
            [(f, KEYFRAME_ROW - 0.35), (f, KEYFRAME_ROW + 0.35)],
            BLACK.stroke_width(2),
        )
    }))?;
    legend(&mut chart)
}
