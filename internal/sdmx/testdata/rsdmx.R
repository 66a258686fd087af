# Reads cpcj's SDMX REST API with rsdmx, as a statistician would, and writes
# what it read as CSV files for rsdmx_test.go to compare with the database.
#
# Usage: Rscript rsdmx.R BASE_URL OUT_DIR
# where BASE_URL is the API's root, e.g. http://127.0.0.1:8080/sdmx/rest.

suppressPackageStartupMessages(library(rsdmx))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2) stop("usage: Rscript rsdmx.R BASE_URL OUT_DIR")
base <- args[1]
out <- args[2]

# cpcj as an SDMX 2.1 REST provider, the way a user adds one to rsdmx.
addSDMXServiceProvider(SDMXServiceProvider(
  agencyId = "CPCJ", name = "cpcj",
  builder = SDMXREST21RequestBuilder(regUrl = base, repoUrl = base, compliant = TRUE)))

save <- function(df, name) {
  write.csv(df, file.path(out, name), row.names = FALSE, na = "", fileEncoding = "UTF-8")
}

# The dataflows.
flows <- as.data.frame(readSDMX(providerId = "CPCJ", resource = "dataflow", verbose = FALSE))
save(data.frame(id = flows$id, agency = flows$agencyID, version = flows$version,
                name = flows$Name.en, dsd = flows$dsdRef), "dataflows.csv")

# The data structure, with its code lists (rsdmx asks references=children).
dsd <- readSDMX(providerId = "CPCJ", resource = "datastructure", resourceId = "CRIME", verbose = FALSE)
structure <- slot(slot(dsd, "datastructures"), "datastructures")[[1]]
comps <- as.data.frame(slot(structure, "Components"))
save(data.frame(component = comps$component, id = comps$conceptRef, codelist = comps$codelist),
     "components.csv")
lists <- slot(dsd, "codelists")
codes <- do.call(rbind, lapply(slot(lists, "codelists"), function(cl) {
  df <- as.data.frame(lists, codelistId = slot(cl, "id"))
  data.frame(codelist = slot(cl, "id"), id = df$id, name = df$name.en)
}))
save(codes, "codelists.csv")

# A dataflow with everything it references, read as a file from a URL.
all <- readSDMX(paste0(base, "/dataflow/UNODC/HOMICIDE/latest?references=all"), verbose = FALSE)
save(data.frame(codelist = sapply(slot(slot(all, "codelists"), "codelists"), slot, "id")),
     "references_all.csv")

# Data, normalised to one row per observation: the series key, the period,
# the value with all its digits (empty when missing), the status, the
# comment and, when rsdmx labelled them, the names of the areas.
dims <- c("FREQ", "REF_AREA", "INDICATOR", "ICCS", "SEX", "AGE", "RELATIONSHIP",
          "CYBER", "SOURCE_TYPE", "UNIT_MEASURE")
observations <- function(df) {
  col <- function(names) {
    for (n in names) if (n %in% colnames(df)) return(as.character(df[[n]]))
    rep(NA_character_, nrow(df))
  }
  value <- suppressWarnings(as.numeric(col(c("obsValue", "OBS_VALUE"))))
  text <- ifelse(is.na(value), NA, sprintf("%.17g", value))
  data.frame(key = do.call(paste, c(lapply(dims, function(d) df[[d]]), sep = ".")),
             period = col(c("obsTime", "TIME_PERIOD")), value = text,
             status = col("OBS_STATUS"), comment = col("COMMENT"),
             area_name = col("REF_AREA_label.en"))
}

# Homicide, generic data, a key built by rsdmx from a list (codes joined
# by an unencoded +), with the data structure fetched to label the codes.
homicide <- readSDMX(providerId = "CPCJ", resource = "data", flowRef = "HOMICIDE",
                     key = list("A", c("KEN", "ITA", "BRA", "JPN"), "VIC_HOM", "0101", "_T", "_T", "_T", "_T", "CJ", ""),
                     start = 2005, end = 2012, dsd = TRUE, verbose = FALSE)
save(observations(as.data.frame(homicide, labels = TRUE)), "homicide_generic.csv")

# Victims by sex and relationship to the perpetrator, the dataflow named in
# full, the key written as SDMX does.
victims <- readSDMX(providerId = "CPCJ", resource = "data", flowRef = "UNODC,VICTIMS,1.0",
                    key = "A.ITA+FRA.VIC.0301+020111.F+M._T.IPFM+_U._T.CJ.NB", key.mode = "SDMX",
                    start = 2015, verbose = FALSE)
save(observations(as.data.frame(victims)), "victims_generic.csv")

# Corruption offences in every country, structure-specific data.
offences <- readSDMX(paste0(base, "/data/OFFENCES/A..OFF.0703._T._T._Z._T.CJ.NB/all?startPeriod=2018&format=structurespecificdata"),
                     verbose = FALSE)
save(observations(as.data.frame(offences)), "offences_structurespecific.csv")

# The last five years of population, structure-specific time series.
population <- readSDMX(paste0(base, "/data/POPULATION/A.KEN+ITA+BRA.POP._Z._T._T._Z._Z._Z.PS?lastNObservations=5&format=structurespecifictimeseriesdata"),
                       verbose = FALSE)
save(observations(as.data.frame(population)), "population_timeseries.csv")

# Public-health homicide figures, flat generic data, with a missing value
# and its comment.
flat <- readSDMX(paste0(base, "/data/HOMICIDE/A.SMR+NRU+PLW+BDI.VIC_HOM.0101._T._T._T._T.PH./all?dimensionAtObservation=AllDimensions"),
                 verbose = FALSE)
save(observations(as.data.frame(flat)), "homicide_flat.csv")
