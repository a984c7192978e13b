# Load the coopsurvey bundle into R with each column's type and label, using base R only.
#
#   source("load.R")            # from the unpacked bundle's folder
#   str(bundle$ratings)         # one data frame per table, in the list `bundle`
#
# Types come from codebook.csv: int -> integer, float -> numeric, bool -> logical, date -> Date,
# string -> character. Each column carries its codebook description as attr(, "label") (the
# convention of the haven and labelled packages). Area and criterion codes become factors whose
# levels follow the study's order (areas.csv, criteria.csv); the other coded columns (group, bloc,
# sector, rand_class, status, step, ...) become factors with their levels in order of appearance.
# An empty cell is NA, except in free-text columns, where it stays "".

bundle_dir <- if (exists("bundle_dir")) bundle_dir else "."
codebook <- read.csv(file.path(bundle_dir, "codebook.csv"), colClasses = "character",
                     na.strings = character(0), encoding = "UTF-8")
r_types <- c(int = "integer", float = "numeric", bool = "logical", date = "Date", string = "character")
coded <- c("group", "bloc", "sector", "rand_class", "quantile_method", "status", "step", "grouping",
           "kind", "actor", "action")

read_table <- function(name) {
  columns <- codebook[codebook$table == name & codebook$column != "", ]
  path <- file.path(bundle_dir, paste0(name, ".csv"))
  data <- read.csv(path, colClasses = unname(r_types[columns$type]), na.strings = "",
                   encoding = "UTF-8", check.names = FALSE)
  for (i in seq_len(nrow(columns))) {
    column <- columns$column[i]
    if (columns$type[i] == "string" && !(column %in% c(coded, "area", "criterion"))) {
      data[[column]][is.na(data[[column]])] <- ""
    }
  }
  data
}

tables <- unique(codebook$table[codebook$column == "" & codebook$type == "table"])
bundle <- lapply(setNames(tables, tables), read_table)

area_levels <- bundle$areas$area
criterion_levels <- bundle$criteria$criterion
for (name in names(bundle)) {
  data <- bundle[[name]]
  columns <- codebook[codebook$table == name & codebook$column != "", ]
  for (i in seq_len(nrow(columns))) {
    column <- columns$column[i]
    if (name != "areas" && column == "area") {
      data[[column]] <- factor(data[[column]], levels = area_levels)
    } else if (name != "criteria" && column == "criterion") {
      data[[column]] <- factor(data[[column]], levels = criterion_levels)
    } else if (column %in% coded) {
      data[[column]] <- factor(data[[column]], levels = unique(data[[column]][!is.na(data[[column]])]))
    }
    attr(data[[column]], "label") <- columns$description[i]
  }
  attr(data, "label") <- codebook$description[codebook$table == name & codebook$type == "table"]
  bundle[[name]] <- data
}
rm(data, columns, column, name, i, tables, area_levels, criterion_levels)
message("Loaded ", length(bundle), " tables into `bundle`: ", paste(names(bundle), collapse = ", "))
